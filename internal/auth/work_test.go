package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// The tests of equal work (issue 12 item 9) count what a login does, on a
// real engine and a real SQLite store: the primary checks (each a bcrypt
// comparison with htpasswd), the engine's verifications, and the store's
// reads and writes by kind. They never time anything.

// counts is what one login did.
type counts map[string]int

func (c counts) String() string {
	var parts []string
	for _, k := range []string{"password checks", "verifications", "token reads", "client reads", "outcome writes", "client writes", "audit writes", "challenges"} {
		parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}

// counter collects counts from the wrappers below.
type counter struct {
	mu sync.Mutex
	c  counts
}

func (c *counter) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c[k]++
}

func (c *counter) take() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.c
	c.c = counts{}
	return got
}

// countingChecker counts the primary checks of a real htpasswd checker.
type countingChecker struct {
	primary.Checker
	n *counter
}

func (c countingChecker) Check(ctx context.Context, user, password string) (bool, error) {
	c.n.add("password checks")
	return c.Checker.Check(ctx, user, password)
}

// countingVerifier counts the verifications of the real engine.
type countingVerifier struct {
	*engine.Engine
	n *counter
}

func (v countingVerifier) Verify(ctx context.Context, r engine.Request) (engine.Result, error) {
	v.n.add("verifications")
	return v.Engine.Verify(ctx, r)
}

func (v countingVerifier) VerifyAny(ctx context.Context, r engine.Request) (engine.Result, error) {
	v.n.add("verifications")
	return v.Engine.VerifyAny(ctx, r)
}

func (v countingVerifier) Refuse(ctx context.Context, r engine.Request) (engine.Result, error) {
	v.n.add("verifications")
	return v.Engine.Refuse(ctx, r)
}

// countingStore counts the calls of a real store, the engine's and the
// service's alike.
type countingStore struct {
	store.Store
	n *counter
}

func (s countingStore) Tokens(ctx context.Context, user string) ([]store.Token, error) {
	s.n.add("token reads")
	return s.Store.Tokens(ctx, user)
}

func (s countingStore) LoginFailure(ctx context.Context, subject string, now time.Time) (store.Failure, error) {
	s.n.add("client reads")
	return s.Store.LoginFailure(ctx, subject, now)
}

func (s countingStore) RecordLoginFailure(ctx context.Context, subject string, now time.Time, l store.LoginLimit, e *store.AuditEvent) (store.Failure, error) {
	if e == nil {
		s.n.add("client writes")
	} else {
		s.n.add("outcome writes") // a name's failure with its event, as a token's
	}
	return s.Store.RecordLoginFailure(ctx, subject, now, l, e)
}

func (s countingStore) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	s.n.add("audit writes")
	return s.Store.AppendAudit(ctx, e)
}

func (s countingStore) PutChallenge(ctx context.Context, c store.Challenge) error {
	s.n.add("challenges")
	return s.Store.PutChallenge(ctx, c)
}

func (s countingStore) CommitSuccess(ctx context.Context, sc store.Success) (store.Commit, error) {
	s.n.add("outcome writes")
	return s.Store.CommitSuccess(ctx, sc)
}

func (s countingStore) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	s.n.add("outcome writes")
	return s.Store.RecordFailure(ctx, a)
}

// lab is a service over a real engine and SQLite store with alice
// (password "pw", a TOTP token on the RFC 6238 key), bob (password "pw2", a
// 6-digit TOTP and an 8-digit HOTP token), dora (password "pw3", her one
// token disabled) and carol (password "pw4", an htpasswd line but no token).
type lab struct {
	svc   *Service
	st    *sqlite.Store
	n     *counter
	clock *time.Time
}

func newLab(t testing.TB, pol engine.Policy, cfg Config) *lab {
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
	hotp8 := otp.Params{Algorithm: otp.SHA1, Digits: 8}
	for _, s := range []enroll.Spec{
		{User: "alice", Type: store.TOTP, Secret: key, Params: otp.DefaultParams()},
		{User: "bob", Type: store.TOTP, Secret: key, Params: otp.DefaultParams()},
		{User: "bob", Type: store.HOTP, Secret: key, Params: hotp8},
		{User: "dora", Type: store.TOTP, Secret: key, Params: otp.DefaultParams()},
	} {
		if _, err := enroll.Enroll(ctx, st, box, s, now()); err != nil {
			t.Fatal(err)
		}
	}
	toks, _ := st.Tokens(ctx, "dora")
	toks[0].Enabled = false
	if err := st.UpdateToken(ctx, &toks[0]); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for user, pw := range map[string]string{"alice": "pw", "bob": "pw2", "dora": "pw3", "carol": "pw4"} {
		hash, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		lines = append(lines, user+":"+string(hash))
	}
	h, err := primary.ParseHtpasswd(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	n := &counter{c: counts{}}
	cs := countingStore{Store: st, n: n}
	cfg.Primary = countingChecker{h, n}
	eng := engine.New(cs, box, pol, now)
	return &lab{svc: New(cfg, countingVerifier{eng, n}, cs, now), st: st, n: n, clock: &clock}
}

func (l *lab) code(offset time.Duration) string {
	p := otp.DefaultParams()
	return otp.Generate(key, p.Step(l.clock.Add(offset)), p)
}

func (l *lab) login(t *testing.T, req Request) (Response, counts) {
	t.Helper()
	req.Frontend = "test"
	l.n.take()
	resp, err := l.svc.Authenticate(context.Background(), req)
	if err != nil {
		t.Fatalf("Authenticate(%s, %s): %v", req.User, req.Style, err)
	}
	return resp, l.n.take()
}

// TestRefusalsCostTheSame: a login refused because the user does not
// exist, has no enabled token, gave a wrong password with a right or wrong
// code, or a right password with a wrong code, or came from a locked-out
// client, makes the same password checks, engine verifications and store
// reads and writes. Before, an unknown user cost no token write and a
// wrong password no verification at all.
func TestRefusalsCostTheSame(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 100 // the lockout of wrong passwords has a test of its own
	l := newLab(t, pol, Config{ClientLimit: store.LoginLimit{MaxFailures: 0, Remember: time.Hour, LockFor: time.Hour}})
	// The first refusal from 192.0.2.66 locks it out.
	l.login(t, Request{User: "mallory", Style: Separate, Password: "x", Code: "000000", Client: "192.0.2.66"})
	right, wrong := l.code(0), "000000"
	if right == wrong {
		wrong = "111111"
	}
	for _, style := range []Style{Appended, Separate} {
		req := func(user, password, code, client string) Request {
			if style == Appended {
				return Request{User: user, Style: style, Password: password + code, Client: client}
			}
			return Request{User: user, Style: style, Password: password, Code: code, Client: client}
		}
		cases := []struct {
			name string
			req  Request
		}{
			{"right password, wrong code", req("alice", "pw", wrong, "192.0.2.1")},
			{"wrong password, right code", req("alice", "px", right, "192.0.2.1")},
			{"wrong password, wrong code", req("alice", "px", wrong, "192.0.2.1")},
			{"unknown user", req("mallory", "pw", right, "192.0.2.1")},
			{"unknown user, long password", req("mallory", strings.Repeat("p", 40), wrong, "192.0.2.1")},
			{"user without a token", req("carol", "pw4", right, "192.0.2.1")},
			{"user whose token is disabled", req("dora", "pw3", right, "192.0.2.1")},
			{"locked-out client, right password and code", req("alice", "pw", right, "192.0.2.66")},
		}
		var want counts
		for _, tt := range cases {
			resp, got := l.login(t, tt.req)
			if resp.Outcome != Reject {
				t.Fatalf("%s %s: %v; want reject", style, tt.name, resp.Outcome)
			}
			if want == nil {
				want = got
				t.Logf("%s: a refusal costs %v", style, want)
				continue
			}
			if got.String() != want.String() {
				t.Errorf("%s %s costs %v; the first case costs %v", style, tt.name, got, want)
			}
		}
		if want["verifications"] != 1 || want["password checks"] != 1 || want["outcome writes"] != 1 || want["client writes"] != 1 {
			t.Errorf("%s: a refusal costs %v; want one password check, one verification, one outcome and one client count", style, want)
		}
	}
	if resp, _ := l.login(t, Request{User: "alice", Style: Separate, Password: "pw", Code: right, Client: "192.0.2.200"}); resp.Outcome != Accept {
		t.Errorf("alice's right password and code from a new client: %+v; want accept (the code was never used)", resp)
	}
}

// TestAppendedChecksEverySplit: bob's tokens take 8 and 6 digits, so his
// password is checked at both splits, whether the first is right or not:
// stopping at a right one would answer a right password sooner.
func TestAppendedChecksEverySplit(t *testing.T) {
	l := newLab(t, engine.DefaultPolicy(), Config{})
	var want counts
	for _, pw := range []string{"pw2" + "12345678", "pw212" + "345678", "nope" + "12345678"} {
		resp, got := l.login(t, Request{User: "bob", Style: Appended, Password: pw, Client: "192.0.2.1"})
		if resp.Outcome != Reject {
			t.Fatalf("bob %q: %v; want reject", pw, resp.Outcome)
		}
		if got["password checks"] != 2 || got["verifications"] != 1 {
			t.Errorf("bob %q costs %v; want two password checks and one verification", pw, got)
		}
		if want != nil && got.String() != want.String() {
			t.Errorf("bob %q costs %v; the first costs %v", pw, got, want)
		}
		want = got
	}
}

// TestUsernames: a name package username refuses is refused before any
// work, whatever the front end let through; a name in another Unicode form
// is the stored user.
func TestUsernames(t *testing.T) {
	l := newLab(t, engine.DefaultPolicy(), Config{})
	for _, u := range []string{"alice\n", "ali\u202ece", strings.Repeat("a", 254), "\xffalice"} {
		resp, got := l.login(t, Request{User: u, Style: Separate, Password: "pw", Code: l.code(0), Client: "192.0.2.1"})
		if resp.Outcome != Reject || !strings.Contains(resp.Reason, "username: invalid") {
			t.Errorf("user %q: %+v; want reject, invalid", u, resp)
		}
		if len(got) != 0 {
			t.Errorf("user %q cost %v; want nothing", u, got)
		}
	}
	if _, err := l.st.CreateUser(t.Context(), "Zo\u00eb"); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	h, _ := primary.ParseHtpasswd(strings.NewReader("Zo\u00eb:" + string(hash)))
	l.svc.cfg.Primary = countingChecker{h, l.n}
	resp, _ := l.login(t, Request{User: "Zoe\u0308", Style: Challenge, Password: "pw"})
	if resp.Outcome != ChallengeIssued || resp.User != "Zo\u00eb" {
		t.Errorf("decomposed Zoë: %+v; want a challenge for the NFC name", resp)
	}
}
