package policy

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/raddict"
	"otpgate.dev/otpgate/internal/store"
)

// groupMap is a group source from a map, counting its calls; err makes
// every call fail, as a directory that is down does.
type groupMap struct {
	m     map[string][]string
	err   error
	calls int
}

func (g *groupMap) Groups(_ context.Context, user string) ([]string, error) {
	g.calls++
	return g.m[user], g.err
}

func mustPrefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

// testRules are the worked examples of docs/policy.md.
func testRules(t *testing.T) []Rule {
	t.Helper()
	class, err := raddict.Standard().Encode("Class", "admins")
	if err != nil {
		t.Fatal(err)
	}
	office, err := ParseWindow("08:00-18:00", []string{"mon", "tue", "wed", "thu", "fri"}, "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return []Rule{
		{Name: "blocked", Match: Match{Users: []string{"mallory"}}, Outcome: Outcome{Deny: true}},
		{Name: "service accounts", Match: Match{Groups: []string{"svc"}, NASNames: []string{"backup-vpn"}}, Outcome: Outcome{OTP: Skip}},
		{Name: "management network", Match: Match{From: mustPrefixes(t, "10.99.0.0/16", "2001:db8:99::/48"), Frontends: []string{"radius"}}, Outcome: Outcome{OTP: Skip}},
		{Name: "admins", Match: Match{Groups: []string{"Admins"}}, Outcome: Outcome{TokenTypes: []string{"yubico", "hotp-prefixed"}, Reply: []raddict.Pair{class}}},
		{Name: "contractors off hours", Match: Match{Groups: []string{"contractors"}, Hours: office}, Outcome: Outcome{OTP: Optional}},
		{Name: "legacy", Match: Match{NASAddrs: mustPrefixes(t, "192.0.2.0/24")}, Outcome: Outcome{Forward: "rsa"}},
	}
}

func TestDecide(t *testing.T) {
	groups := &groupMap{m: map[string][]string{
		"backup": {"svc"}, "alice": {"admins", "staff"}, "carl": {"contractors"},
	}}
	p, err := New(testRules(t), groups)
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 2030-01-02, 10:00 in Berlin (09:00 UTC), and 20:00.
	day := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	night := time.Date(2030, 1, 2, 19, 0, 0, 0, time.UTC)
	mgmt := netip.MustParseAddr("10.99.1.2")
	outside := netip.MustParseAddr("203.0.113.7")
	tests := []struct {
		name string
		in   Input
		rule string
		otp  OTP
	}{
		{"denied user", Input{User: "mallory", Source: mgmt, Frontend: "radius"}, "blocked", ""},
		{"service account on its NAS", Input{User: "backup", NAS: "backup-vpn", Frontend: "radius"}, "service accounts", Skip},
		{"service account elsewhere", Input{User: "backup", NAS: "vpn1", Frontend: "radius", Source: outside}, DefaultRule, Required},
		{"management network", Input{User: "bob", Source: mgmt, Frontend: "radius"}, "management network", Skip},
		{"management network, v4-mapped", Input{User: "bob", Source: netip.MustParseAddr("::ffff:10.99.1.2"), Frontend: "radius"}, "management network", Skip},
		{"management network, IPv6", Input{User: "bob", Source: netip.MustParseAddr("2001:db8:99::5"), Frontend: "radius"}, "management network", Skip},
		{"management network over OpenVPN", Input{User: "bob", Source: mgmt, Frontend: "openvpn"}, DefaultRule, Required},
		{"unknown source", Input{User: "bob", Frontend: "radius"}, DefaultRule, Required},
		{"admin, case of the group", Input{User: "alice", Source: outside, Frontend: "radius"}, "admins", Required},
		{"contractor in office hours", Input{User: "carl", Source: outside, Time: day}, "contractors off hours", Optional},
		{"contractor at night", Input{User: "carl", Source: outside, Time: night}, DefaultRule, Required},
		{"legacy NAS", Input{User: "dave", NASAddr: netip.MustParseAddr("192.0.2.10")}, "legacy", Required},
	}
	for _, tt := range tests {
		d, err := p.Decide(context.Background(), tt.in)
		if err != nil {
			t.Errorf("%s: Decide: %v", tt.name, err)
			continue
		}
		if d.Rule != tt.rule || d.OTP != tt.otp {
			t.Errorf("%s: Decide = rule %q, otp %q; want %q, %q\n%s", tt.name, d.Rule, d.OTP, tt.rule, tt.otp, d.Explain())
		}
		if got := d.Trace[len(d.Trace)-1]; tt.rule != DefaultRule && (!got.Matched || got.Rule != tt.rule) {
			t.Errorf("%s: the trace ends with %+v", tt.name, got)
		}
	}
}

// TestGroupsAskedOnce: the groups are looked up only when a rule needs them
// (a denied user by name needs none), and once per decision.
func TestGroupsAskedOnce(t *testing.T) {
	groups := &groupMap{m: map[string][]string{}}
	p, err := New(testRules(t), groups)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Decide(ctx, Input{User: "mallory"}); err != nil || groups.calls != 0 {
		t.Errorf("Decide(mallory): %v, %d group lookups; want none", err, groups.calls)
	}
	if _, err := p.Decide(ctx, Input{User: "nobody", NAS: "backup-vpn"}); err != nil || groups.calls != 1 {
		t.Errorf("Decide(nobody): %v, %d group lookups; want 1", err, groups.calls)
	}
}

// TestDirectoryDownRefuses: a rule that needs groups the source cannot give
// refuses the login, and says which rule and why.
func TestDirectoryDownRefuses(t *testing.T) {
	down := errors.New("ldap: dial tcp 127.0.0.1:389: connection refused")
	p, err := New(testRules(t), &groupMap{err: down})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), Input{User: "alice", Source: netip.MustParseAddr("203.0.113.7")})
	if !errors.Is(err, down) || !d.Deny || d.Rule != "admins" {
		t.Fatalf("Decide = %+v, %v; want a refusal by rule admins wrapping the directory's error", d, err)
	}
	if !strings.Contains(err.Error(), `rule "admins" cannot be evaluated for "alice"`) || !strings.Contains(d.Explain(), "cannot be evaluated") {
		t.Errorf("error %q / explanation %q do not name the rule", err, d.Explain())
	}
	// A login decided before any rule needs groups is not affected.
	if d, err := p.Decide(context.Background(), Input{User: "mallory"}); err != nil || !d.Deny || d.Rule != "blocked" {
		t.Errorf("Decide(mallory) = %+v, %v", d, err)
	}
}

func TestUnion(t *testing.T) {
	local := &groupMap{m: map[string][]string{"alice": {"staff"}}}
	dir := &groupMap{m: map[string][]string{"alice": {"admins"}}}
	gs, err := Union(local, dir).Groups(context.Background(), "alice")
	if err != nil || strings.Join(gs, ",") != "staff,admins" {
		t.Errorf("Union = %v, %v", gs, err)
	}
	dir.err = errors.New("down")
	if _, err := Union(local, dir).Groups(context.Background(), "alice"); err == nil {
		t.Error("Union with a failing source succeeded")
	}
}

func TestNewRefuses(t *testing.T) {
	class, _ := raddict.Standard().Encode("Class", "x")
	tests := []struct {
		rules []Rule
		want  string
	}{
		{[]Rule{{Name: ""}}, "empty"},
		{[]Rule{{Name: "a"}, {Name: "a"}}, "used twice"},
		{[]Rule{{Name: "default"}}, `"default"`},
		{[]Rule{{Name: "a", Outcome: Outcome{OTP: "maybe"}}}, "not one of required"},
		{[]Rule{{Name: "a", Outcome: Outcome{Deny: true, Reply: []raddict.Pair{class}}}}, "deny takes no other"},
		{[]Rule{{Name: "a", Outcome: Outcome{OTP: Skip, Forward: "rsa"}}}, "mean nothing"},
		{[]Rule{{Name: "a", Outcome: Outcome{TokenTypes: []string{"sms"}}}}, `token type "sms"`},
		{[]Rule{{Name: "a", Match: Match{Groups: []string{"g"}}}}, "no group source"},
	}
	for _, tt := range tests {
		if _, err := New(tt.rules, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v; want an error with %q", tt.rules, err, tt.want)
		}
	}
}

func TestAllows(t *testing.T) {
	all := Outcome{}
	hw := Outcome{TokenTypes: []string{"yubico", "hotp-prefixed"}}
	withRecovery := Outcome{TokenTypes: []string{"totp", Recovery}}
	for _, c := range []struct {
		o                Outcome
		typ              store.TokenType
		allows, recovery bool
	}{
		{all, store.TOTP, true, true},
		{hw, store.TOTP, false, false},
		{hw, store.Yubico, true, false},
		{withRecovery, store.TOTP, true, true},
		{withRecovery, store.HOTP, false, true},
	} {
		if c.o.Allows(c.typ) != c.allows || c.o.AllowsRecovery() != c.recovery {
			t.Errorf("%v: Allows(%s) = %v, AllowsRecovery = %v; want %v, %v", c.o.TokenTypes, c.typ, c.o.Allows(c.typ), c.o.AllowsRecovery(), c.allows, c.recovery)
		}
	}
}

func TestExplain(t *testing.T) {
	p, err := New(testRules(t), &groupMap{m: map[string][]string{"alice": {"admins"}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Decide(context.Background(), Input{User: "alice", Source: netip.MustParseAddr("203.0.113.7"), NAS: "vpn1", Frontend: "radius"})
	if err != nil {
		t.Fatal(err)
	}
	got := d.Explain()
	for _, want := range []string{
		`rule 1 "blocked": no match: user "alice" is not mallory`,
		`rule 2 "service accounts": no match: NAS "vpn1" is not backup-vpn`,
		`rule 3 "management network": no match: from 203.0.113.7 is not in 10.99.0.0/16 or 2001:db8:99::/48`,
		`rule 4 "admins": match: member of group Admins`,
		`decision (admins): otp required; token types yubico, hotp-prefixed; reply Class = "admins"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Explain() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "rule 5") {
		t.Errorf("Explain() goes past the first match:\n%s", got)
	}
}
