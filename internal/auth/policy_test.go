package auth

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/raddict"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
)

// withPolicy builds the fixture's service with rules, groups from its
// store (or groups, when set).
func withPolicy(t *testing.T, rules []policy.Rule, groups policy.Groups) *fixture {
	t.Helper()
	f := newFixture(t, Config{})
	if groups == nil {
		groups = policy.GroupsFunc(f.st.UserGroups)
	}
	p, err := policy.New(rules, groups)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.cfg.Policy = p
	return f
}

func reply(t *testing.T, name, value string) raddict.Pair {
	t.Helper()
	p, err := raddict.Standard().Encode(name, value)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyOutcomes(t *testing.T) {
	class := reply(t, "Class", "staff")
	f := withPolicy(t, []policy.Rule{
		{Name: "blocked", Match: policy.Match{Users: []string{"mallory"}}, Outcome: policy.Outcome{Deny: true}},
		{Name: "service", Match: policy.Match{Groups: []string{"svc"}}, Outcome: policy.Outcome{OTP: policy.Skip}},
		{Name: "hardware", Match: policy.Match{Groups: []string{"admins"}}, Outcome: policy.Outcome{TokenTypes: []string{"yubico"}}},
		{Name: "optional", Match: policy.Match{Users: []string{"carol"}}, Outcome: policy.Outcome{OTP: policy.Optional}},
		{Name: "staff", Outcome: policy.Outcome{Reply: []raddict.Pair{class}}},
	}, nil)
	ctx := context.Background()
	st := f.st
	for _, m := range [][2]string{{"svc", "backup"}, {"admins", "root"}, {"svc", "mallory"}} {
		if err := st.AddGroupMember(ctx, m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	// backup, root and carol have the password "pw" too (the recorder).
	f.svc.cfg.Primary = &recorder{}
	tests := []struct {
		name   string
		req    Request
		want   Outcome
		rule   string
		replyN int
	}{
		{"denied before any group", Request{User: "mallory", Style: Appended, Password: "pw" + f.code(0)}, Reject, "blocked", 0},
		{"service account, password alone", Request{User: "backup", Style: Appended, Password: "pw"}, Accept, "service", 0},
		{"service account, wrong password", Request{User: "backup", Style: Appended, Password: "px"}, Reject, "service", 0},
		{"service account, challenge style", Request{User: "backup", Style: Challenge, Password: "pw"}, Accept, "service", 0},
		{"service account, a code alone is no password", Request{User: "backup", Style: CodeOnly, Password: "pw"}, Reject, "service", 0},
		{"admin without a hardware token", Request{User: "root", Style: Appended, Password: "pw123456"}, Reject, "hardware", 0},
		{"optional, no token", Request{User: "carol", Style: Appended, Password: "pw"}, Accept, "optional", 0},
		{"optional, no token, wrong password", Request{User: "carol", Style: Appended, Password: "nope"}, Reject, "optional", 0},
		{"default rule with reply", Request{User: "alice", Style: Appended, Password: "pw" + f.code(0)}, Accept, "staff", 1},
		{"no reply on refusal", Request{User: "alice", Style: Appended, Password: "pw000000"}, Reject, "staff", 0},
		{"unknown user", Request{User: "nobody", Style: Appended, Password: "pw123456"}, Reject, "staff", 0},
	}
	for _, tt := range tests {
		got := f.auth(t, tt.req)
		if got.Outcome != tt.want || got.Rule != tt.rule || len(got.Reply) != tt.replyN {
			t.Errorf("%s: %v by %q with %d reply attributes (%s); want %v by %q with %d", tt.name, got.Outcome, got.Rule, len(got.Reply), got.Reason, tt.want, tt.rule, tt.replyN)
		}
	}
}

// TestPolicyUnevaluable: groups that cannot be read refuse the login and
// say which rule and why; the store keeps the refusal in the audit trail.
func TestPolicyUnevaluable(t *testing.T) {
	down := errors.New("ldap: connection refused")
	f := withPolicy(t, []policy.Rule{{Name: "admins", Match: policy.Match{Groups: []string{"admins"}}, Outcome: policy.Outcome{OTP: policy.Skip}}},
		policy.GroupsFunc(func(context.Context, string) ([]string, error) { return nil, down }))
	got := f.auth(t, Request{User: "alice", Style: Appended, Password: "pw" + f.code(0)})
	if got.Outcome != Reject || !strings.Contains(got.Reason, `rule "admins" cannot be evaluated`) || !strings.Contains(got.Reason, down.Error()) {
		t.Errorf("login with the directory down = %+v; want a refusal naming the rule and the error", got)
	}
}

func TestRecoveryCodeLogin(t *testing.T) {
	f := withPolicy(t, []policy.Rule{
		{Name: "no recovery", Match: policy.Match{Frontends: []string{"radius"}}, Outcome: policy.Outcome{TokenTypes: []string{"totp"}}},
	}, nil)
	codes, stored, err := recovery.Generate("alice", 2, recovery.DefaultDigits, *f.clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetRecoveryCodes(context.Background(), "alice", stored); err != nil {
		t.Fatal(err)
	}
	if got := f.auth(t, Request{User: "alice", Style: Appended, Password: "pw" + codes[0]}); got.Outcome != Accept {
		t.Errorf("recovery code appended: %+v", got)
	}
	if got := f.auth(t, Request{User: "alice", Style: Appended, Password: "pw" + codes[0]}); got.Outcome != Reject {
		t.Errorf("recovery code twice: %+v", got)
	}
	if got := f.auth(t, Request{User: "alice", Style: Separate, Password: "pw", Code: codes[1]}); got.Outcome != Accept {
		t.Errorf("recovery code in the code field: %+v", got)
	}
	// Under a rule whose token types leave recovery codes out, none is
	// accepted (the fixture's front end is "test": radius is the rule's).
	codes, stored, _ = recovery.Generate("alice", 1, recovery.DefaultDigits, *f.clock)
	f.st.SetRecoveryCodes(context.Background(), "alice", stored)
	resp, err := f.svc.Authenticate(context.Background(), Request{User: "alice", Style: Appended, Password: "pw" + codes[0], Frontend: "radius"})
	if err != nil || resp.Outcome != Reject || resp.Rule != "no recovery" {
		t.Errorf("recovery code where the rule allows TOTP only = %+v, %v; want a refusal", resp, err)
	}
}

// TestChallengeAnswerUnderPolicy: the answer to a challenge is decided by
// the rules for the challenge's user.
func TestChallengeAnswerUnderPolicy(t *testing.T) {
	class := reply(t, "Filter-Id", "vpn")
	f := withPolicy(t, []policy.Rule{{Name: "all", Outcome: policy.Outcome{Reply: []raddict.Pair{class}}}}, nil)
	res := f.auth(t, Request{User: "alice", Style: Challenge, Password: "pw"})
	if res.Outcome != ChallengeIssued {
		t.Fatalf("first step: %+v", res)
	}
	got := f.auth(t, Request{ChallengeID: res.Challenge.ID, Code: f.code(0)})
	if got.Outcome != Accept || got.Rule != "all" || len(got.Reply) != 1 {
		t.Errorf("answer = %+v; want accept with the rule's reply", got)
	}
}

// TestExplainAgrees: for every login, the service's own decision (the one
// `otpgate policy explain` prints) names the rule the login was decided by.
func TestExplainAgrees(t *testing.T) {
	f := withPolicy(t, []policy.Rule{
		{Name: "radius staff", Match: policy.Match{Frontends: []string{"radius"}, Users: []string{"alice"}}},
		{Name: "from the office", Match: policy.Match{From: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, Outcome: policy.Outcome{OTP: policy.Optional}},
	}, nil)
	for _, req := range []Request{
		{User: "alice", Style: Appended, Password: "pw" + f.code(0), Frontend: "radius"},
		{User: "alice", Style: Appended, Password: "pw" + f.code(30*time.Second), Frontend: "openvpn", Client: "192.0.2.9"},
		{User: "bob", Style: Appended, Password: "pw", Frontend: "openvpn", Client: "192.0.2.9"},
		{User: "bob", Style: Appended, Password: "pw", Frontend: "radius"},
	} {
		d, err := f.svc.Decide(context.Background(), req, req.User)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.svc.Authenticate(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Rule != d.Rule {
			t.Errorf("%s over %s from %q: explain says %q, the login got %q\n%s", req.User, req.Frontend, req.Client, d.Rule, resp.Rule, d.Explain())
		}
	}
}

// TestNoUserNameUnderPolicy: a code that names its token (no user name)
// is decided by the rules for the user it names, once it is verified.
func TestNoUserNameUnderPolicy(t *testing.T) {
	for _, c := range []struct {
		types []string
		want  Outcome
	}{{[]string{"yubico"}, Reject}, {[]string{"hotp-prefixed"}, Accept}} {
		f := withPolicy(t, []policy.Rule{{Name: "typed", Outcome: policy.Outcome{TokenTypes: c.types}}}, nil)
		f.svc.cfg.Primary = primary.None{}
		spec := enroll.Spec{User: "alice", Type: store.HOTPPrefixed, Secret: key, Identifier: "12345678", Params: otp.DefaultParams()}
		if _, err := enroll.Enroll(context.Background(), f.st, f.box, spec, *f.clock); err != nil {
			t.Fatal(err)
		}
		code := "12345678" + otp.Generate(key, 0, otp.DefaultParams())
		if got := f.auth(t, Request{Style: CodeOnly, Password: code}); got.Outcome != c.want || got.User != "alice" {
			t.Errorf("a prefixed HOTP code, no user name, rule allowing %v = %+v; want %v for alice", c.types, got, c.want)
		}
	}
}
