package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// The directory the admin commands and otpgate serve are pointed at: vpn
// holds alice and the group staff, which holds carol; bob is in no group;
// dave, in vpn, is locked by an administrator.
const cliLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=otpgate,dc=example,dc=org
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: otpgate
userPassword: service-pw

dn: uid=alice,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice Liddell
sn: Liddell
displayName: Alice Liddell
mail: alice@example.org
pager: 447946000001@sms.example.net
userPassword: alice-pw

dn: uid=bob,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: bob-pw

dn: uid=carol,dc=example,dc=org
objectClass: inetOrgPerson
uid: carol
cn: Carol
sn: Danvers
userPassword: carol-pw

dn: uid=dave,dc=example,dc=org
objectClass: inetOrgPerson
uid: dave
cn: Dave
sn: Lister
userPassword: dave-pw
pwdAccountLockedTime: 000001010000Z

dn: cn=staff,dc=example,dc=org
objectClass: groupOfNames
cn: staff
member: uid=carol,dc=example,dc=org

dn: cn=vpn,dc=example,dc=org
objectClass: groupOfNames
cn: vpn
member: uid=alice,dc=example,dc=org
member: uid=dave,dc=example,dc=org
member: cn=staff,dc=example,dc=org
`

// ldapSite is a slapd and a configuration file whose [ldap] points at it,
// with require_group vpn and the domain EXAMPLE.
type ldapSite struct {
	slapd        *testpeer.Slapd
	dir, db, cfg string
}

// ldapTOML is the [ldap] table for s, the service password in pwFile.
func ldapTOML(s *testpeer.Slapd, pwFile string) string {
	return fmt.Sprintf(`[ldap]
urls = [%q]
start_tls = true
ca_file = %q
bind_dn = "cn=otpgate,dc=example,dc=org"
bind_password_file = %q
base_dn = "dc=example,dc=org"
domains = ["EXAMPLE", "example.org"]
require_group = ["vpn"]
`, s.URL(), s.PKI.CAFile, pwFile)
}

func newLDAPSite(t *testing.T) *ldapSite {
	t.Helper()
	s := &ldapSite{slapd: testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: cliLDIF}), dir: t.TempDir()}
	s.db, s.cfg = filepath.Join(s.dir, "otpgate.db"), filepath.Join(s.dir, "otpgate.toml")
	pw := s.write(t, "ldap.pw", "service-pw\n")
	s.write(t, "otpgate.toml", fmt.Sprintf("db = %q\n", s.db)+ldapTOML(s.slapd, pw))
	return s
}

func (s *ldapSite) write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *ldapSite) run(t *testing.T, args ...string) result {
	t.Helper()
	return otpgate(t, "", nil, append(args, "--config", s.cfg)...)
}

// TestDirectoryTestCommand walks through a login step by step, and stops
// at the step that fails.
func TestDirectoryTestCommand(t *testing.T) {
	s := newLDAPSite(t)
	right, wrong := s.write(t, "right.pw", "alice-pw\n"), s.write(t, "wrong.pw", "nope\n")
	r := s.run(t, "directory", "test", `EXAMPLE\Alice`, "--password-file", right)
	for _, want := range []string{"name          ok", `is account "alice", canonical "alice"`, "connect       ok", s.slapd.URL() + " (StartTLS, TLS 1.3)",
		"service bind  ok", "search        ok", "uid=alice,dc=example,dc=org", "groups        ok", "cn=vpn,dc=example,dc=org",
		"permit        ok", "bind          ok", "mail:         alice@example.org", "pager:        447946000001@sms.example.net"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("directory test alice = %d, lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"alice", "--password-file", wrong}, "otpgate: error: directory test: bind: directory: wrong password"},
		{[]string{"bob"}, "otpgate: error: directory test: permit: directory: the account's groups do not permit a login"},
		{[]string{"dave"}, "otpgate: error: directory test: permit: directory: the account is disabled"},
		{[]string{"nobody"}, "otpgate: error: directory test: search: directory: no such user"},
		{[]string{`OTHER\alice`}, "otpgate: error: directory test: name:"},
	}
	for _, tc := range cases {
		r := s.run(t, append([]string{"directory", "test"}, tc.args...)...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, tc.want) {
			t.Errorf("directory test %q = %d, %q; want 1, %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	r = s.run(t, "directory", "test", "carol", "--json")
	var out struct {
		Steps []struct {
			Step string
			OK   bool
		}
		User struct{ Groups []string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Steps) != 6 || len(out.User.Groups) != 2 {
		t.Errorf("directory test --json = %q (%v)", r.stdout, err)
	}
	if r := otpgate(t, "", nil, "directory", "test", "alice", "--db", s.db); r.code != 1 || !strings.Contains(r.stderr, "no [ldap] table") {
		t.Errorf("directory test without [ldap] = %d, %q", r.code, r.stderr)
	}
}

// TestShowDirectory: enroll and show map a qualified name to the canonical
// one, and show adds the directory's view.
func TestShowDirectory(t *testing.T) {
	s := newLDAPSite(t)
	if r := s.run(t, "enroll", "alice@example.org"); r.code != 0 || !strings.Contains(r.stdout, "user:       alice\n") {
		t.Fatalf("enroll alice@example.org = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	r := s.run(t, "show", `EXAMPLE\alice`)
	for _, want := range []string{"user:          alice", "ldap dn:       uid=alice,dc=example,dc=org", "ldap mail:     alice@example.org",
		"ldap pager:    447946000001@sms.example.net", "ldap group:    cn=vpn,dc=example,dc=org", "ldap status:   may log in"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("show = %d, lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	r = s.run(t, "show", "alice", "--json")
	var out struct {
		Tokens    []map[string]any
		Directory struct{ Mail, Status string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Tokens) != 1 || out.Directory.Mail != "alice@example.org" {
		t.Errorf("show --json = %q (%v)", r.stdout, err)
	}
	s.slapd.Stop(t)
	if r := s.run(t, "show", "alice"); r.code != 0 || !strings.Contains(r.stderr, "otpgate: warning: directory:") || strings.Contains(r.stdout, "ldap ") {
		t.Errorf("show with slapd down = %d, %q, %q; want the tokens and a warning", r.code, r.stdout, r.stderr)
	}
}

// TestEnrollGroup: a dry run lists the members to enroll, the run writes
// one QR code each into a private directory (zbarimg reads each back), and
// a second run finds nobody left.
func TestEnrollGroup(t *testing.T) {
	s := newLDAPSite(t)
	s.run(t, "enroll", "carol")
	r := s.run(t, "enroll", "--group", "vpn", "--dry-run")
	if r.code != 0 || r.stdout != "alice\n" || !strings.Contains(r.stderr, "skipping uid=dave,dc=example,dc=org: locked by an administrator") ||
		!strings.Contains(r.stderr, "skipping carol: has a token") {
		t.Fatalf("enroll --group --dry-run = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(s.db); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(s.dir, "qr")
	r = s.run(t, "enroll", "--group", "cn=vpn,dc=example,dc=org", "--out", out, "--type", "hotp")
	png := filepath.Join(out, "alice.png")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "alice\t") || !strings.HasSuffix(r.stdout, "\t"+png+"\n") || !strings.Contains(r.stderr, "enrolled alice (1 of 1)") {
		t.Fatalf("enroll --group = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	for path, want := range map[string]os.FileMode{out: 0o700 | os.ModeDir, png: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
		}
	}
	zbar := testpeer.Need(t, "zbarimg")[0]
	if got, err := exec.Command(zbar, "--raw", "-q", png).Output(); err != nil || !strings.HasPrefix(string(got), "otpauth://hotp/otpgate:alice?secret=") {
		t.Errorf("zbarimg %s = %q, %v", png, got, err)
	}
	if r := s.run(t, "enroll", "--group", "vpn", "--out", out, "--uri"); r.code != 0 || r.stdout != "" {
		t.Errorf("second enroll --group = %d, %q, %q; want nobody", r.code, r.stdout, r.stderr)
	}
	os.Chmod(out, 0o755)
	if r := s.run(t, "enroll", "--group", "staff", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "mode 0700") {
		t.Errorf("enroll --group into an open directory = %d, %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--group", "vpn"}, {"alice", "--group", "vpn", "--dry-run"}, {"--group", "vpn", "--dry-run", "--key-file", "k"}, {"alice", "--dry-run"}, {"--group", "vpn", "--type", "email", "--dry-run"}} {
		if r := s.run(t, append([]string{"enroll"}, args...)...); r.code != 2 {
			t.Errorf("enroll %q = %d, %q; want a usage error", args, r.code, r.stderr)
		}
	}
	if got := fileName(`EXAMPLE\a/../b`); got != "EXAMPLE%5Ca%2F..%2Fb" {
		t.Errorf("fileName = %q", got)
	}
}

// TestServeLDAP runs otpgate serve with primary = "ldap" and radclient as
// the NAS: the directory password and an HOTP code appended log in under
// any spelling of the name; a wrong password, a user outside vpn and a
// locked one are refused; the trail keeps the name as given.
func TestServeLDAP(t *testing.T) {
	s := newLDAPSite(t)
	for _, u := range []string{"alice", "bob", "dave"} {
		mustRun(t, "", "enroll", u, "--type", "hotp", "--rfc4226-test-key", "--db", s.db)
	}
	const secret = "a-shared-secret-of-some-length"
	s.write(t, "vpn.secret", secret+"\n")
	cfg := serveConfig(s.dir, s.db, "append") + "[auth]\nprimary = \"ldap\"\n" + ldapTOML(s.slapd, filepath.Join(s.dir, "ldap.pw"))
	d := startServe(t, s.dir, cfg)
	login := func(user, pw string) string {
		return serveRadclient(t, d.radius, secret, fmt.Sprintf(`User-Name = %q, User-Password = %q`, user, pw))
	}
	cases := []struct{ user, password, want string }{
		{`EXAMPLE\alice`, "alice-pw" + rfc4226Codes[0], "Access-Accept"},
		{"alice@example.org", "alice-pw" + rfc4226Codes[1], "Access-Accept"},
		{"alice", "wrong-pw" + rfc4226Codes[2], "Access-Reject"},
		{"Alice", "alice-pw" + rfc4226Codes[2], "Access-Accept"},
		{"bob", "bob-pw" + rfc4226Codes[0], "Access-Reject"},
		{"dave", "dave-pw" + rfc4226Codes[0], "Access-Reject"},
		{"*", "alice-pw" + rfc4226Codes[3], "Access-Reject"},
	}
	for _, tc := range cases {
		if got := login(tc.user, tc.password); got != tc.want {
			t.Errorf("login %q: %s; want %s; daemon log:\n%s", tc.user, got, tc.want, d.logText)
		}
	}
	if code, body := httpGet(t, "http://"+d.http+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}
	r := mustRun(t, "", "audit", "--db", s.db)
	// audit prints each field escaped as in a Go string: a backslash doubled.
	for _, want := range []string{`given as EXAMPLE\\alice`, "given as alice@example.org", "the account's groups do not permit", "the account is disabled"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("audit lacks %q:\n%s", want, r.stdout)
		}
	}
	s.slapd.Stop(t)
	if code, body := httpGet(t, "http://"+d.http+"/readyz"); code != 503 || body != "directory unavailable\n" {
		t.Errorf("/readyz with slapd down = %d %q", code, body)
	}
	if got := login("alice", "alice-pw"+rfc4226Codes[3]); got == "Access-Accept" {
		t.Errorf("login with slapd down: %s", got)
	}
}
