package directory

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

const (
	vpnDN   = "cn=vpn,ou=groups,dc=example,dc=org"
	staffDN = "cn=staff,ou=groups,dc=example,dc=org"
)

// TestSlapdGroupModes finds direct and nested groups by a member search and
// through the memberof overlay.
func TestSlapdGroupModes(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	want := map[string][]string{
		"alice":     {vpnDN},
		"carol":     {staffDN, vpnDN},
		escapedName: {staffDN, vpnDN},
		"mallory":   {"cn=contractors,ou=groups,dc=example,dc=org", vpnDN},
		"bob":       nil,
	}
	for _, mode := range []GroupMode{Member, MemberOf} {
		cfg := slapdConfig(s)
		cfg.GroupMode = mode
		d := newDirectory(t, cfg)
		for user, groups := range want {
			u, err := d.Lookup(ctx(t), user)
			if err != nil {
				t.Fatalf("%s: Lookup(%q): %v", mode, user, err)
			}
			if got := sortedLower(u.Groups); !slices.Equal(got, groups) {
				t.Errorf("%s: groups of %q = %q; want %q", mode, user, got, groups)
			}
		}
	}
}

// TestSlapdInChainUnsupported: slapd has no LDAP_MATCHING_RULE_IN_CHAIN,
// and a login through it fails as a directory error, not as a refusal.
func TestSlapdInChainUnsupported(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	cfg := slapdConfig(s)
	cfg.GroupMode = InChain
	_, err := newDirectory(t, cfg).Authenticate(ctx(t), "alice", "alice-pw")
	if err == nil || Refused(err) || !strings.Contains(err.Error(), "in_chain") {
		t.Errorf("Authenticate with in_chain on slapd = %v; want a directory error naming in_chain", err)
	}
}

func sortedLower(dns []string) []string {
	var out []string
	for _, g := range dns {
		out = append(out, strings.ToLower(g))
	}
	slices.Sort(out)
	return out
}

// TestSlapdMembers lists a group's users, nested ones included, in both
// modes, by name and by DN.
func TestSlapdMembers(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	for _, mode := range []GroupMode{Member, MemberOf} {
		cfg := slapdConfig(s)
		cfg.GroupMode = mode
		d := newDirectory(t, cfg)
		for _, group := range []string{"vpn", vpnDN, "VPN"} {
			users, err := d.Members(ctx(t), group)
			if err != nil {
				t.Fatalf("%s: Members(%q): %v", mode, group, err)
			}
			var names []string
			for _, u := range users {
				names = append(names, u.Canonical+"|"+u.Status)
			}
			slices.Sort(names)
			want := []string{"alice|", "carol|", escapedName + "|", "mallory|"}
			if !slices.Equal(names, want) {
				t.Errorf("%s: Members(%q) = %q; want %q", mode, group, names, want)
			}
		}
		for _, group := range []string{"nosuch", "cn=nosuch,ou=groups,dc=example,dc=org", "*"} {
			if _, err := d.Members(ctx(t), group); err == nil || !strings.Contains(err.Error(), "no group") {
				t.Errorf("%s: Members(%q) = %v; want no group", mode, group, err)
			}
		}
	}
}

// TestSlapdProbe reports each step, and stops at the one that fails.
func TestSlapdProbe(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	cfg := slapdConfig(s)
	cfg.RequireGroups = []string{"vpn"}
	d := newDirectory(t, cfg)
	cases := []struct {
		user, password string
		steps          string // the steps, the failing one last
		wantOK         bool
	}{
		{"alice", "alice-pw", "name connect service-bind search groups permit bind", true},
		{"alice", "", "name connect service-bind search groups permit", true},
		{"alice", "nope", "name connect service-bind search groups permit bind", false},
		{"bob", "bob-pw", "name connect service-bind search groups permit", false},
		{"nobody", "x", "name connect service-bind search", false},
		{"a\x00", "x", "name", false},
	}
	for _, tc := range cases {
		r := d.Probe(ctx(t), tc.user, tc.password)
		var steps []string
		for _, st := range r.Steps {
			steps = append(steps, strings.ReplaceAll(st.Name, " ", "-"))
		}
		if got := strings.Join(steps, " "); got != tc.steps || r.OK() != tc.wantOK {
			t.Errorf("Probe(%q) steps %q, ok %v; want %q, %v", tc.user, got, r.OK(), tc.steps, tc.wantOK)
		}
	}
	r := d.Probe(ctx(t), "carol", "carol-pw")
	if !strings.Contains(r.Steps[1].Detail, s.URL()) || !strings.Contains(r.Steps[1].Detail, "StartTLS") {
		t.Errorf("connect step %+v; want the server and StartTLS", r.Steps[1])
	}
	if r.User == nil || len(r.User.Groups) != 2 {
		t.Errorf("Probe(carol).User = %+v; want two groups", r.User)
	}
	if _, err := d.Lookup(ctx(t), "nobody"); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("Lookup(nobody) = %v", err)
	}
}
