package auth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// smsBox is a local HTTP SMS gateway that keeps the texts it is given.
type smsBox struct {
	mu    sync.Mutex
	texts map[string][]string // by number
	down  bool
}

func (b *smsBox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Text string }
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &m)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	b.texts[m.To] = append(b.texts[m.To], m.Text)
}

// last returns the code in the last text to number.
func (b *smsBox) last(t *testing.T, number string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := b.texts[number]
	if len(ts) == 0 {
		t.Fatalf("no SMS to %s", number)
	}
	return regexp.MustCompile(`[0-9]{6}`).FindString(ts[len(ts)-1])
}

type oobFixture struct {
	*fixture
	sms *smsBox
}

// newOOBFixture is alice with TOTP and an SMS token, and carol with an SMS
// token only, both with the password "pw", behind an oob service whose
// gateway is a local receiver.
func newOOBFixture(t *testing.T) *oobFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1_700_000_000, 0).UTC()
	now := func() time.Time { return clock }
	if _, err := enroll.Enroll(ctx, st, box, enroll.Spec{User: "alice", Type: store.TOTP, Secret: key,
		Params: otp.DefaultParams()}, now()); err != nil {
		t.Fatal(err)
	}
	for user, number := range map[string]string{"alice": "+15550000001", "carol": "+15550000003"} {
		st.CreateUser(ctx, user)
		tok, err := oob.NewToken(box, user, oob.SMS, number, now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
	}
	sms := &smsBox{texts: map[string][]string{}}
	srv := httptest.NewServer(sms)
	t.Cleanup(srv.Close)
	s := oob.DefaultSettings()
	s.HTTP = &oob.HTTPSettings{URL: srv.URL, Format: oob.FormatJSON, Body: `{"to": "{to}", "text": "{message}"}`, Timeout: 5 * time.Second}
	o, err := oob.New(st, box, s, now)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, u := range []string{"alice", "carol"} {
		hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
		lines = append(lines, u+":"+string(hash))
	}
	h, err := primary.ParseHtpasswd(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(st, box, engine.DefaultPolicy(), now)
	svc := New(Config{Primary: h, OOB: o}, eng, st, now)
	return &oobFixture{fixture: &fixture{svc: svc, st: st, clock: &clock}, sms: sms}
}

// A user with only an SMS token gets a code after the password, and the
// prompt says where it went; the code answers that challenge once.
func TestOOBOnly(t *testing.T) {
	f := newOOBFixture(t)
	r := f.auth(t, Request{User: "carol", Password: "pw", Style: Challenge, Client: "192.0.2.7"})
	if r.Outcome != ChallengeIssued || r.Challenge.Prompt != "A code was sent to +1********03" {
		t.Fatalf("password = %+v; want a challenge naming +1********03", r)
	}
	code := f.sms.last(t, "+15550000003")
	if got := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: code}); got.Outcome != Accept || got.User != "carol" {
		t.Errorf("answer = %+v; want carol accepted", got)
	}
	if got := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: code}); got.Outcome != Reject {
		t.Errorf("the same answer again = %+v; want refused", got)
	}
	// The appended and code-only styles cannot carry it, and say why.
	for _, style := range []Style{Appended, CodeOnly} {
		if got := f.auth(t, Request{User: "carol", Password: "pw" + code, Style: style}); got.Outcome != Reject ||
			!strings.Contains(got.Reason, engine.ReasonOutOfBand) {
			t.Errorf("%s = %+v; want refused: %s", style, got, engine.ReasonOutOfBand)
		}
	}
}

// A user with an app and an SMS token is asked for the app's code and may
// ask for an SMS instead.
func TestOOBOnRequest(t *testing.T) {
	f := newOOBFixture(t)
	r := f.auth(t, Request{User: "alice", Password: "pw", Style: Challenge})
	if r.Outcome != ChallengeIssued || !strings.Contains(r.Challenge.Prompt, `(or answer "sms" to get one by SMS)`) {
		t.Fatalf("password = %+v; want the prompt with the SMS hint", r)
	}
	if got := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: f.code(0)}); got.Outcome != Accept {
		t.Errorf("the app's code = %+v; want accepted", got)
	}
	if len(f.sms.texts) != 0 {
		t.Errorf("an SMS was sent though the app's code answered: %v", f.sms.texts)
	}
	var old string
	for _, ask := range []string{"sms", " SMS ", ""} {
		*f.clock = f.clock.Add(time.Minute)
		r := f.auth(t, Request{User: "alice", Password: "pw", Style: Challenge})
		second := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: ask})
		if second.Outcome != ChallengeIssued || second.Challenge.Prompt != "A code was sent to +1********01" {
			t.Fatalf("answer %q = %+v; want a new challenge naming +1********01", ask, second)
		}
		code := f.sms.last(t, "+15550000001")
		if got := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: code}); got.Outcome != Reject {
			t.Errorf("the code on the offer, which the request consumed = %+v; want refused", got)
		}
		if got := f.auth(t, Request{ChallengeID: second.Challenge.ID, Code: code}); got.Outcome != Accept || got.User != "alice" {
			t.Errorf("the SMS code after %q = %+v; want alice accepted", ask, got)
		}
		old = code
	}
	// A code answers the login it was sent for and no other.
	*f.clock = f.clock.Add(time.Minute)
	r = f.auth(t, Request{User: "alice", Password: "pw", Style: Challenge})
	second := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: "sms"})
	if f.sms.last(t, "+15550000001") != old {
		if got := f.auth(t, Request{ChallengeID: second.Challenge.ID, Code: old}); got.Outcome != Reject {
			t.Errorf("the code sent for another login = %+v; want refused", got)
		}
	}
}

// A send that fails refuses the login with a reason that names no code;
// a resend within the interval is refused; a wrong password sends nothing.
func TestOOBRefusals(t *testing.T) {
	f := newOOBFixture(t)
	if r := f.auth(t, Request{User: "carol", Password: "wrong", Style: Challenge}); r.Outcome != Reject || len(f.sms.texts) != 0 {
		t.Errorf("wrong password = %+v, texts %v; want refused with nothing sent", r, f.sms.texts)
	}
	f.sms.down = true
	if r := f.auth(t, Request{User: "carol", Password: "pw", Style: Challenge}); r.Outcome != Reject ||
		!strings.Contains(r.Reason, "could not send the code") {
		t.Errorf("with the gateway down = %+v; want refused: could not send the code", r)
	}
	f.sms.down = false
	if r := f.auth(t, Request{User: "carol", Password: "pw", Style: Challenge}); r.Outcome != ChallengeIssued {
		t.Fatalf("with the gateway back = %+v; want a challenge", r)
	}
	if r := f.auth(t, Request{User: "carol", Password: "pw", Style: Challenge}); r.Outcome != Reject ||
		!strings.Contains(r.Reason, "resend interval") {
		t.Errorf("a second login at once = %+v; want refused: the resend interval", r)
	}
}

// Without an oob service a user whose only token is out-of-band is refused
// with the reason, and one with an app token logs in with it.
func TestOOBNotConfigured(t *testing.T) {
	f := newOOBFixture(t)
	f.svc.cfg.OOB = nil
	if r := f.auth(t, Request{User: "carol", Password: "pw", Style: Challenge}); r.Outcome != Reject || r.Reason != ReasonNoOOBService {
		t.Errorf("carol = %+v; want refused: %s", r, ReasonNoOOBService)
	}
	r := f.auth(t, Request{User: "alice", Password: "pw", Style: Challenge})
	if r.Outcome != ChallengeIssued || r.Challenge.Prompt != DefaultPrompt {
		t.Fatalf("alice = %+v; want the usual prompt", r)
	}
	if got := f.auth(t, Request{ChallengeID: r.Challenge.ID, Code: f.code(0)}); got.Outcome != Accept {
		t.Errorf("alice's app code = %+v; want accepted", got)
	}
}
