package auth

import (
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
)

// TestWrongPasswordsLockTheUser: wrong passwords count toward the user's
// lockout in every style, as wrong codes do, so that a password cannot be
// guessed without limit; past max_failures even the right password and code
// are refused until the lock ends. Before, a wrong password counted nothing.
func TestWrongPasswordsLockTheUser(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures, pol.LockFor = 3, 10*time.Minute
	l := newLab(t, pol, Config{})
	for i, req := range []Request{
		{User: "alice", Style: Appended, Password: "guess1" + l.code(0)},
		{User: "alice", Style: Separate, Password: "guess2", Code: l.code(0)},
		{User: "alice", Style: Challenge, Password: "guess3"},
		{User: "alice", Style: Appended, Password: "guess4" + "000000"},
	} {
		req.Client = "192.0.2.1"
		if resp, _ := l.login(t, req); resp.Outcome != Reject || resp.Reason == "" {
			t.Fatalf("wrong password %d (%s): %+v; want reject", i+1, req.Style, resp)
		}
	}
	toks, _ := l.st.Tokens(t.Context(), "alice")
	if !toks[0].Locked(*l.clock) {
		t.Fatalf("alice's token after four wrong passwords: %d failures, not locked", toks[0].Failures)
	}
	if resp, _ := l.login(t, Request{User: "alice", Style: Separate, Password: "pw", Code: l.code(0), Client: "192.0.2.2"}); resp.Outcome != Reject {
		t.Errorf("right password and code while locked, from another client: %v; want reject", resp.Outcome)
	}
	if resp, _ := l.login(t, Request{User: "alice", Style: Challenge, Password: "pw", Client: "192.0.2.2"}); resp.Outcome != ChallengeIssued {
		t.Errorf("right password while locked, challenge style: %v; want a challenge (the code is refused, not the password)", resp.Outcome)
	}
	*l.clock = l.clock.Add(pol.LockFor + time.Minute)
	if resp, _ := l.login(t, Request{User: "alice", Style: Separate, Password: "pw", Code: l.code(0), Client: "192.0.2.2"}); resp.Outcome != Accept {
		t.Errorf("right password and code after the lock: %+v; want accept", resp)
	}
}

// TestClientLockout: refused logins from one client count together,
// whichever users they name, and lock the client out past the limit for
// every user and every style, while other clients go on; an IPv6 client is
// counted by its /64. The count lives in the store, so a second service
// over the same store (another process or node) sees it.
func TestClientLockout(t *testing.T) {
	limit := store.LoginLimit{MaxFailures: 2, Remember: time.Minute, LockFor: 5 * time.Minute}
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 100 // the attempts below would lock alice's token too
	l := newLab(t, pol, Config{ClientLimit: limit})
	for i, user := range []string{"alice", "bob", "mallory"} {
		resp, _ := l.login(t, Request{User: user, Style: Separate, Password: "guess", Code: "000000", Client: "2001:db8:1:2::10"})
		if resp.Outcome != Reject {
			t.Fatalf("guess %d: %v; want reject", i+1, resp.Outcome)
		}
	}
	other := New(Config{Primary: l.svc.cfg.Primary, ClientLimit: limit}, l.svc.eng, l.svc.store, func() time.Time { return *l.clock })
	for _, svc := range []*Service{l.svc, other} {
		for _, req := range []Request{
			{User: "alice", Style: Separate, Password: "pw", Code: l.code(0), Client: "2001:db8:1:2::99"}, // the same /64
			{User: "alice", Style: Appended, Password: "pw" + l.code(0), Client: "2001:db8:1:2:ffff::1"},
			{User: "alice", Style: Challenge, Password: "pw", Client: "2001:db8:1:2::10"},
		} {
			req.Frontend = "test"
			resp, err := svc.Authenticate(t.Context(), req)
			if err != nil || resp.Outcome != Reject || !strings.HasPrefix(resp.Reason, ReasonClientLocked) {
				t.Errorf("%s from the locked-out /64: %+v, %v; want reject, %q", req.Style, resp, err, ReasonClientLocked)
			}
		}
	}
	if resp, _ := l.login(t, Request{User: "alice", Style: Separate, Password: "pw", Code: l.code(0), Client: "2001:db8:1:3::10"}); resp.Outcome != Accept {
		t.Errorf("alice from another /64: %+v; want accept", resp)
	}
	if resp, _ := l.login(t, Request{User: "bob", Style: Separate, Password: "guess", Code: "000000"}); resp.Outcome != Reject {
		t.Errorf("a login without a client address: %v", resp.Outcome)
	}
	*l.clock = l.clock.Add(limit.LockFor + time.Second)
	if resp, _ := l.login(t, Request{User: "alice", Style: Separate, Password: "pw", Code: l.code(30 * time.Second), Client: "2001:db8:1:2::10"}); resp.Outcome != Accept {
		t.Errorf("alice from the /64 after the lock: %+v; want accept", resp)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                   "192.0.2.1",
		"::ffff:192.0.2.1":            "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"fe80::1%eth0":                "fe80::/64",
		"00-11-22-33-44-55":           "00-11-22-33-44-55",
		string(make([]byte, 65)):      "sha256:",
		"10.0.0.1 (via a proxy, say)": "10.0.0.1 (via a proxy, say)",
	} {
		got := clientKey(in)
		if want == "sha256:" && len(got) == len(want)+64 && got[:len(want)] == want {
			continue
		}
		if got != want {
			t.Errorf("clientKey(%q) = %q; want %q", in, got, want)
		}
	}
}
