package auth

import (
	"context"
	"path/filepath"
	"strings"
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

var key = []byte("12345678901234567890")

type fixture struct {
	svc   *Service
	st    store.Store
	box   *secretbox.Box
	clock *time.Time
}

// newFixture enrolls alice (password "pw", TOTP on the RFC 6238 key) on a
// real SQLite store and returns the service in front of it.
func newFixture(t *testing.T, cfg Config) *fixture {
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
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	h, err := primary.ParseHtpasswd(strings.NewReader("alice:" + string(hash) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Primary == nil {
		cfg.Primary = h
	}
	eng := engine.New(st, box, engine.DefaultPolicy(), now)
	return &fixture{svc: New(cfg, eng, st, now), st: st, box: box, clock: &clock}
}

func (f *fixture) code(offset time.Duration) string {
	p := otp.DefaultParams()
	return otp.Generate(key, p.Step(f.clock.Add(offset)), p)
}

func (f *fixture) auth(t *testing.T, req Request) Response {
	t.Helper()
	req.Frontend = "test"
	res, err := f.svc.Authenticate(context.Background(), req)
	if err != nil {
		t.Fatalf("Authenticate(%+v): %v", req.Style, err)
	}
	return res
}

func TestStyles(t *testing.T) {
	f := newFixture(t, Config{})
	tests := []struct {
		name string
		req  Request
		want Outcome
	}{
		{"appended", Request{User: "alice", Style: Appended, Password: "pw" + f.code(0)}, Accept},
		{"appended replay", Request{User: "alice", Style: Appended, Password: "pw" + f.code(0)}, Reject},
		{"appended wrong password", Request{User: "alice", Style: Appended, Password: "px" + f.code(30*time.Second)}, Reject},
		{"separate", Request{User: "alice", Style: Separate, Password: "pw", Code: f.code(30 * time.Second)}, Accept},
		{"separate wrong code", Request{User: "alice", Style: Separate, Password: "pw", Code: "000000"}, Reject},
		{"unknown user", Request{User: "mallory", Style: Appended, Password: "pw123456"}, Reject},
		{"challenge wrong password", Request{User: "alice", Style: Challenge, Password: "nope"}, Reject},
	}
	for _, tt := range tests {
		if got := f.auth(t, tt.req); got.Outcome != tt.want {
			t.Errorf("%s: %v (%s); want %v", tt.name, got.Outcome, got.Reason, tt.want)
		}
	}
}

func TestChallengeRound(t *testing.T) {
	f := newFixture(t, Config{Prompt: "Code?"})
	res := f.auth(t, Request{User: "alice", Style: Challenge, Password: "pw"})
	if res.Outcome != ChallengeIssued || res.Challenge == nil || res.Challenge.Prompt != "Code?" {
		t.Fatalf("first step: %+v", res)
	}
	id := res.Challenge.ID
	if got := f.auth(t, Request{ChallengeID: id, Code: f.code(0)}); got.Outcome != Accept || got.User != "alice" {
		t.Errorf("answer: %+v; want accept for alice", got)
	}
	if got := f.auth(t, Request{ChallengeID: id, Code: f.code(0)}); got.Outcome != Reject {
		t.Errorf("second answer to one challenge: %+v; want reject", got)
	}
	res = f.auth(t, Request{User: "alice", Style: Challenge, Password: "pw"})
	*f.clock = f.clock.Add(DefaultChallengeTTL)
	if got := f.auth(t, Request{ChallengeID: res.Challenge.ID, Code: f.code(0)}); got.Outcome != Reject || got.Reason != "unknown or expired challenge" {
		t.Errorf("expired challenge: %+v; want reject", got)
	}
	res = f.auth(t, Request{User: "alice", Style: Challenge, Password: "pw"})
	if got := f.auth(t, Request{User: "bob", ChallengeID: res.Challenge.ID, Code: f.code(0)}); got.Outcome != Reject {
		t.Errorf("challenge answered as another user: %+v", got)
	}
}

func TestCodeOnlyWithoutPassword(t *testing.T) {
	f := newFixture(t, Config{Primary: primary.None{}})
	if got := f.auth(t, Request{User: "alice", Style: Appended, Password: f.code(0)}); got.Outcome != Accept {
		t.Errorf("appended with no primary: %+v", got)
	}
	if got := f.auth(t, Request{User: "alice", Style: CodeOnly, Password: f.code(30 * time.Second)}); got.Outcome != Accept {
		t.Errorf("code only: %+v", got)
	}
	if _, err := f.svc.Authenticate(context.Background(), Request{User: "alice", Style: "telepathy"}); err == nil {
		t.Error("unknown style accepted")
	}
}

func TestActive(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	if ok, err := f.svc.Active(ctx, "alice"); !ok || err != nil {
		t.Errorf("Active(alice) = %v, %v; want true", ok, err)
	}
	if ok, err := f.svc.Active(ctx, "nobody"); ok || err != nil {
		t.Errorf("Active(nobody) = %v, %v; want false", ok, err)
	}
	toks, err := f.st.Tokens(ctx, "alice")
	if err != nil || len(toks) != 1 {
		t.Fatalf("Tokens(alice) = %v, %v", toks, err)
	}
	toks[0].Enabled = false
	if err := f.st.UpdateToken(ctx, &toks[0]); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.svc.Active(ctx, "alice"); ok || err != nil {
		t.Errorf("Active(alice) with her token disabled = %v, %v; want false", ok, err)
	}
	if err := f.st.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.svc.Active(ctx, "alice"); ok || err != nil {
		t.Errorf("Active(alice) after delete = %v, %v; want false", ok, err)
	}
}

// recorder is a primary checker that accepts "pw" and records what it was
// asked.
type recorder struct{ asked []string }

func (r *recorder) Check(_ context.Context, user, password string) (bool, error) {
	r.asked = append(r.asked, user+":"+password)
	return password == "pw", nil
}

// TestAppendedTriesTheUsersCodeLength: with alice's 6-digit token, the
// password is checked once, without the last 6 characters; a password
// check per possible length would count failures against her account in
// PAM (pam_faillock) for every login.
func TestAppendedTriesTheUsersCodeLength(t *testing.T) {
	r := &recorder{}
	f := newFixture(t, Config{Primary: r})
	resp, err := f.svc.Authenticate(context.Background(), Request{User: "alice", Password: "pw" + f.code(0), Style: Appended})
	if err != nil || resp.Outcome != Accept {
		t.Fatalf("Authenticate = %v, %v; want accept", resp.Outcome, err)
	}
	if len(r.asked) != 1 || r.asked[0] != "alice:pw" {
		t.Errorf("primary checks = %q; want one, of alice's password alone", r.asked)
	}
	r.asked = nil
	f.svc.Authenticate(context.Background(), Request{User: "nobody", Password: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", Style: Appended})
	if len(r.asked) != 1 {
		t.Errorf("primary checks for a user without tokens = %q; want one, as for a user with a token", r.asked)
	}
}
