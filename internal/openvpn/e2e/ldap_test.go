//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/testpeer"
)

// The management mode with the first factor in a directory: `otpgate
// serve` with primary = "ldap" against slapd answers OpenVPN 2.6's
// CR_TEXT logins; alice's directory password is servePassword. bob, also
// enrolled, is outside the group vpn that [ldap] requires.
const ldapServeLDIF = `dn: dc=example,dc=org
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
cn: Alice
sn: Liddell
userPassword: ` + servePassword + `

dn: uid=bob,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
userPassword: ` + servePassword + `

dn: cn=vpn,dc=example,dc=org
objectClass: groupOfNames
cn: vpn
member: uid=alice,dc=example,dc=org
`

// ldapTable is [ldap] for s, the service password written into the lab.
func (l *lab) ldapTable(s *testpeer.Slapd) string {
	pw := l.path("ldap.pw")
	if err := os.WriteFile(pw, []byte("service-pw\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return fmt.Sprintf(`[ldap]
urls = [%q]
ca_file = %q
bind_dn = "cn=otpgate,dc=example,dc=org"
bind_password_file = %q
base_dn = "dc=example,dc=org"
domains = ["EXAMPLE"]
require_group = ["vpn"]`, s.LDAPSURL(), s.PKI.CAFile, pw)
}

// TestServeCRTextLDAP: the directory password, then the code at the
// CR_TEXT challenge, logs alice in, also as EXAMPLE\alice; a wrong
// directory password, and bob with his right one, are denied.
func TestServeCRTextLDAP(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	if out, err := p.command(l, "enroll", "bob", "--type", "hotp", "--rfc4226-test-key", "--db", p.db).CombinedOutput(); err != nil {
		t.Fatalf("otpgate enroll bob: %v\n%s", err, out)
	}
	slapd := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: ldapServeLDIF})
	sock := l.path("server.sock")
	l.startServer(l.serveServerConfig(sock)...)
	cfg := strings.Replace(l.serveConfig(p, sock, openvpn.StyleCRText, l.ldapTable(slapd)),
		fmt.Sprintf("primary = %q", "htpasswd:"+p.htpasswd), `primary = "ldap"`, 1)
	s := l.serve(p, cfg)
	s.waitRecord(serveConnected, 1)

	client := func(user, password, code string) *mgmt.Client {
		return &mgmt.Client{Username: user, Password: password, Style: openvpn.StyleCRText, Code: codes(func(int) string { return code })}
	}
	l.wantHelperConnected(l.helperClient("alice", client("alice", servePassword, hotpCode(0))))
	l.wantHelperConnected(l.helperClient("down-level", client(`EXAMPLE\alice`, servePassword, hotpCode(1))))
	for _, c := range []struct{ name, user, password string }{{"wrong-password", "alice", "not-" + servePassword}, {"bob", "bob", servePassword}} {
		r := l.helperClient(c.name, client(c.user, c.password, hotpCode(2)))
		if r.connected || !errors.Is(r.err, mgmt.ErrPasswordRefused) {
			t.Errorf("client %s: connected %v, helper %v; want the password refused before any code", c.name, r.connected, r.err)
		}
	}
	if got := len(s.decisions("accept", mgmt.KindCRResponse)); got != 2 {
		t.Errorf("daemon accepted %d CR_RESPONSEs; want 2", got)
	}
	// alice's third code was never spent: the wrong password stopped it.
	l.wantHelperConnected(l.helperClient("after", client("alice", servePassword, hotpCode(2))))
	s.terminate()
}

// TestProductLDAP: the OpenVPN script hooks with `setenv otpgatePrimary
// ldap` take the [ldap] table of the configuration file that
// `setenv OTPGATE_CONFIG` names: the directory password and the code log
// alice in, as alice or EXAMPLE\alice; a wrong directory password and bob,
// outside vpn, are refused.
func TestProductLDAP(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	slapd := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: ldapServeLDIF})
	// The hooks run in the server's namespace; slapd listens outside it.
	inside := "ldaps://" + testpeer.Netns{Name: l.topo.server}.ForwardIn(t, strings.TrimPrefix(slapd.LDAPSURL(), "ldaps://"))
	table := strings.Replace(l.ldapTable(slapd), slapd.LDAPSURL(), inside, 1)
	conf := l.path("otpgate.toml")
	if err := os.WriteFile(conf, []byte(table+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	scripts := p.scripts(openvpn.StyleAppend)
	for i, s := range scripts {
		if strings.HasPrefix(s, "setenv otpgatePrimary ") {
			scripts[i] = "setenv otpgatePrimary ldap"
		}
	}
	l.startServer(append(scripts, "setenv OTPGATE_CONFIG "+conf)...)
	l.wantRefused(l.fileClient("badpassword", "alice", "not-"+servePassword+p.code(0)))
	l.wantRefused(l.fileClient("bob", "bob", servePassword+p.code(0)))
	l.wantConnected(l.fileClient("valid", `EXAMPLE\alice`, servePassword+p.code(0)))
	l.wantRefused(l.fileClient("replayed", "alice", servePassword+p.code(0)))
}
