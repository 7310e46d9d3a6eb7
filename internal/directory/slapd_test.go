package directory

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestSlapdLogin drives search-then-bind through the service account
// against slapd: every outcome, and for each refusal before the bind, that
// slapd saw no bind for the user at all.
func TestSlapdLogin(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	cfg := slapdConfig(s)
	cfg.RequireGroups = []string{"vpn"}
	cfg.DenyGroups = []string{"cn=contractors,ou=groups,dc=example,dc=org"}
	d := newDirectory(t, cfg)
	cases := []struct {
		name, user, password string
		want                 error
		canonical            string
		bound                bool // a bind as the user reached slapd
	}{
		{"right password", "alice", "alice-pw", nil, "alice", true},
		{"other case", "ALICE", "alice-pw", nil, "alice", true},
		{"wrong password", "alice", "alice-pw2", ErrBadPassword, "alice", true},
		{"empty password", "alice", "", ErrBadPassword, "", false},
		{"unknown user", "nobody", "x", ErrNoSuchUser, "", false},
		{"nested group", "carol", "carol-pw", nil, "carol", true},
		{"name needing escapes", escapedName, "jdoe-pw", nil, escapedName, true},
		{"in no required group", "bob", "bob-pw", ErrNotPermitted, "bob", false},
		{"in a denied group", "mallory", "mallory-pw", ErrNotPermitted, "mallory", false},
		{"locked by an administrator", "dave", "dave-pw", ErrDisabled, "dave", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(userBinds(t, s))
			u, err := d.Authenticate(ctx(t), tc.user, tc.password)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Authenticate(%q) = %v; want %v", tc.user, err, tc.want)
			}
			if tc.want != nil && !Refused(err) {
				t.Errorf("Refused(%v) = false", err)
			}
			if err != nil && strings.Contains(err.Error(), tc.password) && tc.password != "" {
				t.Errorf("the error %q holds the password", err)
			}
			if tc.canonical != "" && (u == nil || u.Canonical != tc.canonical || u.Given != tc.user) {
				t.Errorf("user = %+v; want canonical %q, given %q", u, tc.canonical, tc.user)
			}
			binds := userBinds(t, s)[before:]
			if got := len(binds) > 0; got != tc.bound {
				t.Errorf("binds as the user = %v; want bound %v", binds, tc.bound)
			}
			for _, b := range binds {
				if (b.Result == 0) != (tc.want == nil) {
					t.Errorf("slapd answered bind %q with %d", b.DN, b.Result)
				}
			}
		})
	}
}

// TestSlapdAttributes reads the mapped attributes and groups of a user.
func TestSlapdAttributes(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	d := newDirectory(t, slapdConfig(s))
	u, err := d.Lookup(ctx(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := User{Name: Name{Given: "alice", Account: "alice", Canonical: "alice"}, DN: "uid=alice,ou=people,dc=example,dc=org",
		DisplayName: "Alice Liddell", Mail: "alice@example.org", Mobile: "+44 20 7946 0001", Pager: "447946000001@sms.example.net",
		Groups: []string{"cn=vpn,ou=groups,dc=example,dc=org"}, Server: s.URL()}
	if !equalUser(*u, want) {
		t.Errorf("Lookup(alice) = %+v; want %+v", *u, want)
	}
	if len(userBinds(t, s)) != 0 {
		t.Errorf("Lookup bound as %v", userBinds(t, s))
	}
}

func equalUser(a, b User) bool {
	a.Groups, b.Groups = slices.Sorted(slices.Values(a.Groups)), slices.Sorted(slices.Values(b.Groups))
	return reflect.DeepEqual(a, b)
}

// TestSlapdPing: a ping succeeds while slapd runs and fails once it stops.
func TestSlapdPing(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	d := newDirectory(t, slapdConfig(s))
	if err := d.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.Stop(t)
	if err := d.Ping(ctx(t)); err == nil {
		t.Errorf("Ping with slapd stopped: no error")
	}
	s.Start(t)
	if err := d.Ping(ctx(t)); err != nil {
		t.Errorf("Ping after the restart: %v", err)
	}
}
