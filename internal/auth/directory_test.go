package auth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
)

// dirLDIF: alice and bob in the group vpn, carol outside it, dave locked
// by an administrator.
var dirLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

` + dirPerson("alice", "") + dirPerson("bob", "") + dirPerson("carol", "") + dirPerson("dave", "pwdAccountLockedTime: 000001010000Z\n")

const dirGroups = `dn: cn=vpn,dc=example,dc=org
objectClass: groupOfNames
cn: vpn
member: uid=alice,dc=example,dc=org
member: uid=bob,dc=example,dc=org
member: uid=dave,dc=example,dc=org
`

func dirPerson(uid, extra string) string {
	return "dn: uid=" + uid + ",dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid + "\nsn: " + uid +
		"\nuserPassword: " + uid + "-pw\n" + extra + "\n"
}

type dirFixture struct {
	svc   *Service
	st    store.Store
	slapd *testpeer.Slapd
	now   func() time.Time
}

// newDirFixture enrolls alice, carol and dave with TOTP tokens on the RFC
// 6238 key, and puts a slapd with require_group vpn and domain EXAMPLE in
// front of the service, as primary and as the source of users.
func newDirFixture(t *testing.T) *dirFixture {
	t.Helper()
	ctx := context.Background()
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: dirLDIF, Online: dirGroups})
	d, err := directory.New(directory.Config{URLs: []string{s.URL()}, BaseDN: "dc=example,dc=org",
		BindTemplate: "uid=%s,dc=example,dc=org", BindDN: s.RootDN, BindPassword: s.RootPassword, Domains: []string{"EXAMPLE", "example.org"},
		RequireGroups: []string{"vpn"}, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
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
	for _, u := range []string{"alice", "carol", "dave"} {
		if _, err := enroll.Enroll(ctx, st, box, enroll.Spec{User: u, Type: store.TOTP, Secret: key, Params: otp.DefaultParams()}, now()); err != nil {
			t.Fatal(err)
		}
	}
	eng := engine.New(st, box, engine.DefaultPolicy(), now)
	svc := New(Config{Primary: primary.NewLDAP(d), Directory: Users(d)}, eng, st, now)
	return &dirFixture{svc: svc, st: st, slapd: s, now: now}
}

func (f *dirFixture) code(step int) string {
	p := otp.DefaultParams()
	return otp.Generate(key, p.Step(f.now())+uint64(step), p)
}

// TestDirectoryService: names map to the canonical one, and the directory's
// rules hold in every style, before any code is spent.
func TestDirectoryService(t *testing.T) {
	f := newDirFixture(t)
	cases := []struct {
		name string
		req  Request
		want Outcome
		// user is the name as given, canonical the one tokens are
		// stored under.
		user, canonical string
	}{
		{"down-level name", Request{User: `EXAMPLE\Alice`, Style: Appended, Password: "alice-pw" + f.code(0)}, Accept, `EXAMPLE\Alice`, "alice"},
		{"principal name", Request{User: "alice@example.org", Style: Separate, Password: "alice-pw", Code: f.code(1)}, Accept, "alice@example.org", "alice"},
		{"challenge", Request{User: "Alice@Example.org", Style: Challenge, Password: "alice-pw"}, ChallengeIssued, "Alice@Example.org", "alice"},
		{"unknown domain", Request{User: `OTHER\alice`, Style: Appended, Password: "alice-pw" + f.code(-1)}, Reject, "", ""},
		{"code only, outside the group", Request{User: "carol", Style: CodeOnly, Password: f.code(0)}, Reject, "carol", "carol"},
		{"code only, locked", Request{User: "dave", Style: CodeOnly, Password: f.code(0)}, Reject, "dave", "dave"},
		{"code only, not in the directory", Request{User: "zed", Style: CodeOnly, Password: f.code(0)}, Reject, "zed", "zed"},
	}
	for _, tc := range cases {
		tc.req.Frontend = "test"
		resp, err := f.svc.Authenticate(t.Context(), tc.req)
		if err != nil || resp.Outcome != tc.want || resp.User != tc.user || resp.Canonical != tc.canonical {
			t.Errorf("%s: Authenticate = %+v, %v; want %v for %q, canonical %q", tc.name, resp, err, tc.want, tc.user, tc.canonical)
		}
	}
	// carol's and dave's codes were not spent: the engine never saw them.
	events, err := f.st.Audit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range events {
		trail = append(trail, string(e.Action)+" "+e.User+" "+string(e.Result)+" "+e.Reason)
	}
	all := strings.Join(trail, "\n")
	for _, want := range []string{`name alice ok given as EXAMPLE\Alice`, "name alice ok given as alice@example.org",
		"login carol fail directory: the account's groups", "login dave fail directory: the account is disabled", "login zed fail"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, all)
		}
	}
}

// TestDirectoryActive: a session ends at renegotiation once the directory
// no longer permits its user, and a directory that cannot answer is an
// error, not a yes.
func TestDirectoryActive(t *testing.T) {
	f := newDirFixture(t)
	for user, want := range map[string]bool{"alice": true, `EXAMPLE\alice`: true, "carol": false, "dave": false, "bob": false} {
		if got, err := f.svc.Active(t.Context(), user); got != want || err != nil {
			t.Errorf("Active(%q) = %v, %v; want %v", user, got, err, want)
		}
	}
	f.slapd.Modify(t, "dn: cn=vpn,dc=example,dc=org\nchangetype: modify\ndelete: member\nmember: uid=alice,dc=example,dc=org\n")
	if got, err := f.svc.Active(t.Context(), "alice"); got || err != nil {
		t.Errorf("Active(alice) after leaving vpn = %v, %v; want false", got, err)
	}
	f.slapd.Stop(t)
	if got, err := f.svc.Active(t.Context(), "alice"); got || err == nil {
		t.Errorf("Active(alice) with slapd down = %v, %v; want an error", got, err)
	}
	if _, err := f.svc.Authenticate(t.Context(), Request{User: "alice", Style: CodeOnly, Password: f.code(0)}); err == nil {
		t.Errorf("Authenticate with slapd down: no error")
	}
}
