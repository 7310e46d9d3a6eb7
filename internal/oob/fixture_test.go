package oob

import (
	"crypto/rand"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
)

// fixture is a service on a real SQLite store and master key, with a
// clock the test moves.
type fixture struct {
	t   *testing.T
	st  *sqlite.Store
	box *secretbox.Box
	svc *Service

	mu  sync.Mutex
	now time.Time
}

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// newFixture opens a store and a service with settings s.
func newFixture(t *testing.T, s Settings) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "otpgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, _ := secretbox.New(key)
	f := &fixture{t: t, st: st, box: box, now: t0}
	if f.svc, err = New(st, box, s, f.clock); err != nil {
		t.Fatalf("New = %v", err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// enroll adds user with an out-of-band token sent to addr, and returns it.
func (f *fixture) enroll(user string, ch Channel, addr string) Target {
	f.t.Helper()
	if _, err := f.st.CreateUser(f.t.Context(), user); err != nil {
		f.t.Fatal(err)
	}
	tok, err := NewToken(f.box, user, ch, addr, f.clock())
	if err != nil {
		f.t.Fatalf("NewToken = %v", err)
	}
	if err := f.st.AddToken(f.t.Context(), &tok); err != nil {
		f.t.Fatal(err)
	}
	tg, err := f.svc.Target(tok)
	if err != nil || tg.Address != addr && ch == Email {
		f.t.Fatalf("Target = %+v, %v; want the address %s", tg, err, addr)
	}
	return tg
}

func (f *fixture) send(tg Target, challenge, source string) (Sent, error) {
	return f.svc.Send(f.t.Context(), SendRequest{Target: tg, Challenge: challenge, Source: source, Actor: "test"})
}

func (f *fixture) verify(tg Target, challenge, code string) Result {
	f.t.Helper()
	r, err := f.svc.Verify(f.t.Context(), VerifyRequest{User: tg.User, TokenID: tg.TokenID, Challenge: challenge,
		Code: code, Source: "192.0.2.7", Actor: "test"})
	if err != nil {
		f.t.Fatalf("Verify = %v", err)
	}
	return r
}

// audit returns the whole audit trail, oldest first, and fails the test if
// any event holds one of codes.
func (f *fixture) audit(codes ...string) []store.AuditEvent {
	f.t.Helper()
	es, err := f.st.Audit(f.t.Context(), store.AuditFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	for _, e := range es {
		for _, c := range codes {
			if strings.Contains(strings.Join([]string{string(e.Actor), string(e.Action), e.User, e.TokenID, string(e.Result), e.Reason, e.Source}, " "), c) {
				f.t.Errorf("audit event %+v holds the code", e)
			}
		}
	}
	return es
}

var codeRE = regexp.MustCompile(`\b[0-9]{6,8}\b`)

// codeIn returns the one code in a message's text.
func codeIn(t *testing.T, text string) string {
	t.Helper()
	codes := codeRE.FindAllString(text, -1)
	if len(codes) != 1 {
		t.Fatalf("message %q holds %d codes; want 1", text, len(codes))
	}
	return codes[0]
}

// mailSettings are the defaults with the Postfix relay p on STARTTLS.
func mailSettings(p *testpeer.Postfix) Settings {
	s := DefaultSettings()
	s.VPNName = "Example VPN"
	r := relay(p, p.StartTLS)
	s.SMTP = &r
	return s
}
