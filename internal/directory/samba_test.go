package directory

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// The Active Directory fixture, made through LDAP as the Administrator:
// vpn holds alice, mallory and the group staff, which holds carol and the
// user whose account name needs escaping in a filter and whose CN needs
// escaping in a DN; contractors holds mallory; dave is disabled, erin's
// account expired, bob is in no group; svc is the service account.
const (
	adEscaped   = "j(doe)"
	adEscapedCN = "Doe, John #1"
)

type adFixture struct {
	*testpeer.Samba
	dn map[string]string // account or group name: DN
}

func newAD(t *testing.T) *adFixture {
	s := testpeer.NewSamba(t)
	f := &adFixture{Samba: s, dn: map[string]string{}}
	past := strconv.FormatInt((time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Unix()+filetimeToUnix)*10_000_000, 10)
	users := []testpeer.SambaUser{
		{Account: "svc", Password: "Svc-Passw0rd!"},
		{Account: "alice", Password: "Al1ce-Passw0rd!", CN: "Alice Liddell", Attributes: map[string]string{
			"displayName": "Alice Liddell", "mail": "alice@samdom.example.com", "mobile": "+44 20 7946 0001", "pager": "447946000001@sms.example.net"}},
		{Account: "bob", Password: "B0b-Passw0rd!"},
		{Account: "carol", Password: "Car0l-Passw0rd!"},
		{Account: "dave", Password: "Dav3-Passw0rd!", Control: 514},
		{Account: "erin", Password: "Er1n-Passw0rd!", Attributes: map[string]string{"accountExpires": past}},
		{Account: "mallory", Password: "Mall0ry-Passw0rd!"},
		{Account: adEscaped, Password: "JD0e-Passw0rd!", CN: adEscapedCN},
	}
	for _, u := range users {
		f.dn[u.Account] = s.AddUser(t, u)
	}
	f.dn["staff"] = s.AddGroup(t, "staff", f.dn["carol"], f.dn[adEscaped])
	f.dn["vpn"] = s.AddGroup(t, "vpn", f.dn["alice"], f.dn["mallory"], f.dn["staff"])
	f.dn["contractors"] = s.AddGroup(t, "contractors", f.dn["mallory"])
	return f
}

func (f *adFixture) config() Config {
	return Config{
		Kind: AD, URLs: []string{f.LDAPSURL}, CAFile: f.PKI.CAFile, ServerName: testpeer.SambaServerName,
		BindDN: f.dn["svc"], BindPassword: "Svc-Passw0rd!", BaseDN: testpeer.SambaBaseDN,
		Domains: []string{testpeer.SambaDomain, testpeer.SambaDNSDomain},
	}
}

// TestSambaAD runs every Active Directory case against Samba's DC: one DC
// for all of them, since provisioning one takes a while.
func TestSambaAD(t *testing.T) {
	f := newAD(t)
	t.Run("login", f.testLogin)
	t.Run("transports", f.testTransports)
	t.Run("bind templates", f.testBindTemplates)
	t.Run("injection", f.testInjection)
	t.Run("attributes and groups", f.testAttributes)
	t.Run("members", f.testMembers)
	t.Run("changes", f.testChanges)
	t.Run("lockout", f.testLockout)
}

func (f *adFixture) testLogin(t *testing.T) {
	cfg := f.config()
	cfg.RequireGroups, cfg.DenyGroups = []string{"vpn"}, []string{f.dn["contractors"]}
	d := newDirectory(t, cfg)
	cases := []struct {
		user, password string
		want           error
		canonical      string
	}{
		{"alice", "Al1ce-Passw0rd!", nil, "alice"},
		{`SAMDOM\alice`, "Al1ce-Passw0rd!", nil, "alice"},
		{`samdom\ALICE`, "Al1ce-Passw0rd!", nil, "alice"},
		{"alice@samdom.example.com", "Al1ce-Passw0rd!", nil, "alice"},
		{"Alice@SAMDOM.EXAMPLE.COM", "Al1ce-Passw0rd!", nil, "alice"},
		{`OTHER\alice`, "Al1ce-Passw0rd!", ErrBadName, ""},
		{"alice", "wrong", ErrBadPassword, "alice"},
		{"alice", "", ErrBadPassword, ""},
		{"carol", "Car0l-Passw0rd!", nil, "carol"},
		{adEscaped, "JD0e-Passw0rd!", nil, adEscaped},
		{"bob", "B0b-Passw0rd!", ErrNotPermitted, "bob"},
		{"mallory", "Mall0ry-Passw0rd!", ErrNotPermitted, "mallory"},
		{"dave", "Dav3-Passw0rd!", ErrDisabled, "dave"},
		{"erin", "Er1n-Passw0rd!", ErrDisabled, "erin"},
		{"nobody", "x", ErrNoSuchUser, ""},
	}
	for _, tc := range cases {
		u, err := d.Authenticate(ctx(t), tc.user, tc.password)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("Authenticate(%q) = %v; want %v", tc.user, err, tc.want)
			continue
		}
		if tc.canonical != "" && (u == nil || u.Canonical != tc.canonical || u.Given != tc.user) {
			t.Errorf("Authenticate(%q) user %+v; want canonical %q", tc.user, u, tc.canonical)
		}
	}
	down := cfg
	down.Canonical = FormDownLevel
	u, err := newDirectory(t, down).Authenticate(ctx(t), "alice@samdom.example.com", "Al1ce-Passw0rd!")
	if err != nil || u.Canonical != `SAMDOM\alice` {
		t.Errorf("down-level canonical: %+v, %v; want SAMDOM\\alice", u, err)
	}
}

func (f *adFixture) testTransports(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"ldaps", func(*Config) {}, ""},
		{"StartTLS", func(c *Config) { c.URLs, c.StartTLS = []string{f.URL}, true }, ""},
		{"plain", func(c *Config) { c.URLs = []string{f.URL} }, "Strong Auth Required"},
		{"wrong name", func(c *Config) { c.ServerName = "dc2." + testpeer.SambaDNSDomain }, "not dc2." + testpeer.SambaDNSDomain},
		{"untrusted", func(c *Config) { c.CAFile = f.PKI.OtherCAFile }, "unknown authority"},
	}
	for _, tc := range cases {
		cfg := f.config()
		tc.mod(&cfg)
		_, err := newDirectory(t, cfg).Authenticate(ctx(t), "alice", "Al1ce-Passw0rd!")
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || Refused(err) || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Authenticate = %v; want %q", tc.name, err, tc.wantErr)
		}
	}
}

// testBindTemplates binds as the user principal name and the down-level
// name, with no service account: the user reads its own entry.
func (f *adFixture) testBindTemplates(t *testing.T) {
	for _, template := range []string{"%s@" + testpeer.SambaDNSDomain, testpeer.SambaDomain + `\%s`} {
		cfg := f.config()
		cfg.BindTemplate, cfg.BindDN, cfg.BindPassword = template, "", ""
		cfg.RequireGroups = []string{"vpn"}
		d := newDirectory(t, cfg)
		for _, tc := range []struct {
			user, password string
			want           error
		}{
			{"alice", "Al1ce-Passw0rd!", nil},
			{`SAMDOM\carol`, "Car0l-Passw0rd!", nil},
			{adEscaped, "JD0e-Passw0rd!", nil},
			{"alice", "wrong", ErrBadPassword},
			{"bob", "B0b-Passw0rd!", ErrNotPermitted},
			{"dave", "Dav3-Passw0rd!", ErrBadPassword}, // AD refuses the bind: data 533
		} {
			_, err := d.Authenticate(ctx(t), tc.user, tc.password)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("template %q: Authenticate(%q) = %v; want %v", template, tc.user, err, tc.want)
			}
		}
	}
}

func (f *adFixture) testInjection(t *testing.T) {
	for _, template := range []string{"", "%s@" + testpeer.SambaDNSDomain} {
		cfg := f.config()
		cfg.BindTemplate = template
		d := newDirectory(t, cfg)
		for _, name := range append(injections, `SAMDOM\*`, "*@samdom.example.com", `SAMDOM\alice,cn=users`) {
			if u, err := d.Authenticate(ctx(t), name, "Al1ce-Passw0rd!"); !Refused(err) {
				t.Errorf("template %q: Authenticate(%q) = %+v, %v; want a refusal", template, name, u, err)
			}
		}
	}
}

func (f *adFixture) testAttributes(t *testing.T) {
	for _, mode := range []GroupMode{InChain, MemberOf, Member} {
		cfg := f.config()
		cfg.GroupMode = mode
		d := newDirectory(t, cfg)
		u, err := d.Lookup(ctx(t), `SAMDOM\Alice`)
		if err != nil {
			t.Fatal(err)
		}
		want := User{Name: Name{Given: `SAMDOM\Alice`, Account: "alice", Canonical: "alice"}, DN: f.dn["alice"],
			DisplayName: "Alice Liddell", Mail: "alice@samdom.example.com", Mobile: "+44 20 7946 0001",
			Pager: "447946000001@sms.example.net", Groups: []string{f.dn["vpn"]}, Server: f.LDAPSURL}
		if !equalUser(*u, want) {
			t.Errorf("%s: Lookup(alice) = %+v; want %+v", mode, *u, want)
		}
		for user, groups := range map[string][]string{"carol": {"staff", "vpn"}, adEscaped: {"staff", "vpn"}, "bob": nil} {
			u, err := d.Lookup(ctx(t), user)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, g := range groups {
				want = append(want, strings.ToLower(f.dn[g]))
			}
			if got := sortedLower(u.Groups); !slices.Equal(got, want) {
				t.Errorf("%s: groups of %q = %q; want %q", mode, user, got, want)
			}
		}
	}
}

func (f *adFixture) testMembers(t *testing.T) {
	for _, mode := range []GroupMode{InChain, Member} {
		cfg := f.config()
		cfg.GroupMode = mode
		users, err := newDirectory(t, cfg).Members(ctx(t), "vpn")
		if err != nil {
			t.Fatalf("%s: Members(vpn): %v", mode, err)
		}
		var names []string
		for _, u := range users {
			names = append(names, u.Canonical)
		}
		slices.Sort(names)
		if want := []string{"alice", "carol", adEscaped, "mallory"}; !slices.Equal(names, want) {
			t.Errorf("%s: Members(vpn) = %q; want %q", mode, names, want)
		}
	}
}

// testChanges disables an account and drops a membership on the DC: with
// the cache off, the next login is refused.
func (f *adFixture) testChanges(t *testing.T) {
	cfg := f.config()
	cfg.RequireGroups, cfg.CacheTTL = []string{"vpn"}, -1
	d := newDirectory(t, cfg)
	login := func(user, pw string) error { _, err := d.Authenticate(ctx(t), user, pw); return err }
	if err := login("carol", "Car0l-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	f.Delete(t, f.dn["staff"], "member", f.dn["carol"])
	if err := login("carol", "Car0l-Passw0rd!"); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("after leaving staff: %v; want ErrNotPermitted", err)
	}
	if err := login("alice", "Al1ce-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	f.Replace(t, f.dn["alice"], "userAccountControl", "514")
	if err := login("alice", "Al1ce-Passw0rd!"); !errors.Is(err, ErrDisabled) {
		t.Errorf("after disabling: %v; want ErrDisabled", err)
	}
}

// testLockout sets the domain's lockout threshold to three: after three
// wrong passwords AD marks the account locked out
// (msDS-User-Account-Control-Computed), and the right password is refused
// before any bind.
func (f *adFixture) testLockout(t *testing.T) {
	dn := f.AddUser(t, testpeer.SambaUser{Account: "locky", Password: "L0cky-Passw0rd!"})
	f.Replace(t, testpeer.SambaBaseDN, "lockoutThreshold", "3")
	t.Cleanup(func() { f.Replace(t, testpeer.SambaBaseDN, "lockoutThreshold", "0") })
	cfg := f.config()
	cfg.CacheTTL = -1
	d := newDirectory(t, cfg)
	for range 3 {
		if _, err := d.Authenticate(ctx(t), "locky", "wrong"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	u, err := d.Authenticate(ctx(t), "locky", "L0cky-Passw0rd!")
	if !errors.Is(err, ErrDisabled) || !strings.Contains(err.Error(), "locked out") {
		t.Errorf("right password after the lockout: %v; want ErrDisabled, locked out", err)
	}
	if u == nil || u.DN != dn {
		t.Errorf("user = %+v; want %s", u, dn)
	}
}
