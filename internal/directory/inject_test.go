package directory

import (
	"errors"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// injections are names built to widen a filter or a DN, or that no
// directory could hold.
var injections = []string{
	"*",
	")(uid=*",
	"alice)(uid=*",
	"*)(|(uid=*",
	"alice)(|(objectClass=*",
	`alice\2a`,
	"al*",
	"alice\x00",
	"alice\x00junk",
	"\x00",
	"alice\n",
	strings.Repeat("a", 300),
	"uid=alice,ou=people,dc=example,dc=org",
	"alice,ou=people,dc=example,dc=org",
	"alice+cn=x",
	" alice",
	"\xff\xfe",
}

// TestSlapdInjection: every injection is refused in both bind modes, and
// slapd never bound anyone but the service account. A password is given
// that would be right for alice.
func TestSlapdInjection(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	modes := map[string]func(*Config){
		"search then bind": func(*Config) {},
		"direct bind": func(c *Config) {
			c.BindTemplate, c.BindDN, c.BindPassword = "uid=%s,ou=people,dc=example,dc=org", "", ""
		},
	}
	for mode, mod := range modes {
		cfg := slapdConfig(s)
		mod(&cfg)
		d := newDirectory(t, cfg)
		for _, name := range injections {
			u, err := d.Authenticate(ctx(t), name, "alice-pw")
			if !Refused(err) {
				t.Errorf("%s: Authenticate(%q) = %+v, %v; want a refusal", mode, name, u, err)
			}
		}
		for _, b := range userBinds(t, s) {
			if b.Result == 0 {
				t.Errorf("%s: slapd bound %q", mode, b.DN)
			}
		}
	}
	if binds := userBinds(t, s); len(binds) > 0 {
		t.Logf("refused binds slapd saw (direct bind tries the escaped name): %v", binds)
	}
}

// TestSlapdInjectionNoBind: in search-then-bind mode an injection reaches no
// bind at all, and the names no directory can hold reach no server.
func TestSlapdInjectionNoBind(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	d := newDirectory(t, slapdConfig(s))
	for _, name := range injections {
		_, err := d.Authenticate(ctx(t), name, "alice-pw")
		if !errors.Is(err, ErrNoSuchUser) && !errors.Is(err, ErrBadName) {
			t.Errorf("Authenticate(%q) = %v; want no such user or a bad name", name, err)
		}
	}
	if binds := userBinds(t, s); len(binds) > 0 {
		t.Errorf("binds as users: %v", binds)
	}
	for _, name := range []string{"alice\x00", strings.Repeat("a", 300), "alice\n", "\xff"} {
		if _, err := d.Canonical(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Canonical(%q) = %v; want ErrBadName", name, err)
		}
	}
}

// TestSlapdDirectBind binds through a DN template, with and without a
// service account to read the entry, the escaped name included.
func TestSlapdDirectBind(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	for _, service := range []bool{true, false} {
		cfg := slapdConfig(s)
		cfg.BindTemplate = "uid=%s,ou=people,dc=example,dc=org"
		cfg.RequireGroups = []string{"vpn"}
		if !service {
			cfg.BindDN, cfg.BindPassword = "", ""
		}
		d := newDirectory(t, cfg)
		cases := []struct {
			user, password string
			want           error
		}{
			{"alice", "alice-pw", nil},
			{escapedName, "jdoe-pw", nil},
			{"alice", "wrong", ErrBadPassword},
			{"nobody", "x", ErrBadPassword},
			{"bob", "bob-pw", ErrNotPermitted},
			{"dave", "dave-pw", ErrBadPassword}, // slapd's ppolicy refuses the bind itself
		}
		for _, tc := range cases {
			u, err := d.Authenticate(ctx(t), tc.user, tc.password)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("service %v: Authenticate(%q) = %v; want %v", service, tc.user, err, tc.want)
			}
			if err == nil && len(u.Groups) == 0 {
				t.Errorf("service %v: %q has no groups", service, tc.user)
			}
		}
	}
}

// TestSlapdAdminLockWithoutPolicy: with no password policy in force slapd
// binds an account locked by an administrator; otpgate refuses it anyway.
func TestSlapdAdminLockWithoutPolicy(t *testing.T) {
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: fixtureLDIF, Online: fixtureGroups})
	cfg := slapdConfig(s)
	cfg.BindTemplate = "uid=%s,ou=people,dc=example,dc=org"
	_, err := newDirectory(t, cfg).Authenticate(ctx(t), "dave", "dave-pw")
	if !errors.Is(err, ErrDisabled) {
		t.Fatalf("Authenticate(dave) = %v; want ErrDisabled", err)
	}
	binds := userBinds(t, s)
	if len(binds) != 1 || binds[0].Result != 0 {
		t.Errorf("binds = %v; want slapd to have bound dave once", binds)
	}
}
