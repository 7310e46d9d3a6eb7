package auth

import (
	"context"
	"slices"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/otp"
)

// FuzzAuthenticate drives the real login path, the password and code
// splitting included, through a real engine and SQLite store: whatever the
// user, style, password and code, Authenticate does not panic or fail, does
// at most one verification, accepts only alice with her password and one of
// the codes her token shows now (each at most once), and issues a
// challenge only for her right password.
func FuzzAuthenticate(f *testing.F) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 1 << 30 // a lock would stop the search for a wrong accept
	l := newLab(f, pol, Config{})
	p := otp.DefaultParams()
	step := p.Step(*l.clock)
	var valid []string
	for s := step - 1; s <= step+1; s++ {
		valid = append(valid, otp.Generate(key, s, p))
	}
	accepted := map[string]bool{}
	for _, seed := range []struct {
		user         string
		style        uint8
		password     string
		code, answer string
	}{
		{"alice", 0, "pw" + valid[1], "", ""},
		{"alice", 1, "pw", valid[2], ""},
		{"alice", 2, valid[0], "", ""},
		{"alice", 3, "pw", "", valid[1]},
		{"bob", 0, "pw2" + "12345678", "", ""},
		{"mallory", 1, "pw", "000000", ""},
		{"Zoe\u0308", 3, "pw", "", "123456"},
		{"alice\n", 0, "pw123456", "", ""},
		{"", 2, "cccccccccccb" + strings.Repeat("c", 32), "", ""},
	} {
		f.Add(seed.user, seed.style, seed.password, seed.code, seed.answer)
	}
	f.Fuzz(func(t *testing.T, user string, style uint8, password, code, answer string) {
		st := []Style{Appended, Separate, CodeOnly, Challenge}[int(style)%4]
		req := Request{User: user, Style: st, Password: password, Code: code, Frontend: "fuzz", Client: "192.0.2.1"}
		resp := l.fuzzLogin(t, req)
		right := func(c string) bool { return user == "alice" && slices.Contains(valid, c) }
		var ok bool
		switch st {
		case Appended:
			ok = strings.HasPrefix(password, "pw") && right(password[2:])
		case Separate:
			ok = password == "pw" && right(code)
		case CodeOnly:
			ok = right(password)
		}
		switch resp.Outcome {
		case Accept:
			c := map[Style]string{Appended: strings.TrimPrefix(password, "pw"), Separate: code, CodeOnly: password}[st]
			if !ok || resp.User != "alice" || accepted[c] {
				t.Fatalf("Authenticate(%+v) accepted %q without the right code, or twice", req, resp.User)
			}
			accepted[c] = true
		case ChallengeIssued:
			if st != Challenge || user != "alice" || password != "pw" || resp.Challenge == nil {
				t.Fatalf("Authenticate(%+v) issued a challenge without alice's password", req)
			}
			ans := l.fuzzLogin(t, Request{ChallengeID: resp.Challenge.ID, Code: answer, Frontend: "fuzz", Client: "192.0.2.1"})
			if ans.Outcome == Accept && (!right(answer) || accepted[answer]) {
				t.Fatalf("the answer %q to alice's challenge was accepted", answer)
			}
			if ans.Outcome == Accept {
				accepted[answer] = true
			}
		}
	})
}

// fuzzLogin is one Authenticate that must not fail and must verify at most
// once.
func (l *lab) fuzzLogin(t *testing.T, req Request) Response {
	l.n.take()
	resp, err := l.svc.Authenticate(context.Background(), req)
	if err != nil {
		t.Fatalf("Authenticate(%+v): %v", req, err)
	}
	if n := l.n.take()["verifications"]; n > 1 {
		t.Fatalf("Authenticate(%+v) made %d verifications; want at most one", req, n)
	}
	return resp
}
