package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// The product as shipped with an LDAP directory as the first factor: the
// built otpgate binary runs `otpgate serve` with primary = "ldap" against
// slapd, and ocserv's RADIUS client logs openconnect in through it with
// the directory password and a one-time code.

const ldapE2ELDIF = `dn: dc=example,dc=org
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
userPassword: ` + ldapPassword + `
`

const ldapPassword = "alice's directory password"

// rfc4226Key is the HOTP key `otpgate enroll --rfc4226-test-key` enrolls.
var rfc4226Key = []byte("12345678901234567890")

func hotp(counter uint64) string {
	return otp.Generate(rfc4226Key, counter, otp.Params{Algorithm: otp.SHA1, Digits: 6})
}

// ldapServe builds otpgate, enrolls alice with the RFC 4226 HOTP key, and
// runs `otpgate serve` with a RADIUS client 127.0.0.1 in style and
// primary = "ldap" against a new slapd. It returns a stack naming the
// daemon's RADIUS address and secret, for startOcserv.
func ldapServe(t *testing.T, style string) *stack {
	t.Helper()
	dir := worldDir(t)
	slapd := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: ldapE2ELDIF})
	bin := filepath.Join(dir, "otpgate")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/otpgate").CombinedOutput(); err != nil {
		t.Fatalf("go build otpgate: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "otpgate.db")
	if out, err := exec.Command(bin, "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("otpgate enroll: %v\n%s", err, out)
	}
	s := &stack{t: t, dir: dir, secret: "a-shared-secret-for-ocserv-and-otpgate"}
	writeFile(t, filepath.Join(dir, "nas.secret"), s.secret+"\n", 0o600)
	writeFile(t, filepath.Join(dir, "ldap.pw"), "service-pw\n", 0o600)
	cfg := filepath.Join(dir, "otpgate.toml")
	writeFile(t, cfg, fmt.Sprintf(`db = %q
[http]
listen = "off"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "ocserv"
address = "127.0.0.1"
secret_file = %q
style = %q
allow_missing_message_authenticator = true
[auth]
primary = "ldap"
challenge_text = %q
[ldap]
urls = [%q]
ca_file = %q
bind_dn = "cn=otpgate,dc=example,dc=org"
bind_password_file = %q
base_dn = "dc=example,dc=org"
`, db, filepath.Join(dir, "nas.secret"), style, testPrompt, slapd.LDAPSURL(), slapd.PKI.CAFile, filepath.Join(dir, "ldap.pw")), 0o600)
	s.addr = startServeBinary(t, bin, cfg)
	return s
}

// startServeBinary runs `otpgate serve` and returns its RADIUS address
// once it says it is ready.
func startServeBinary(t *testing.T, bin, cfg string) netip.AddrPort {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg, "--log-format", "json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.Write(append(sc.Bytes(), '\n'))
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "otpgate serve: ready" {
				addr, _ := rec["radius"].(string)
				ready <- addr
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		t.Logf("otpgate serve log:\n%s", log.String())
	})
	select {
	case addr := <-ready:
		return netip.MustParseAddrPort(addr)
	case <-time.After(time.Minute):
		t.Fatalf("otpgate serve not ready after a minute:\n%s", log.String())
	}
	return netip.AddrPort{}
}

// TestOpenconnectLDAPAppended: the directory password with the code
// appended logs in; a wrong directory password with the next code does
// not, and leaves that code usable.
func TestOpenconnectLDAPAppended(t *testing.T) {
	s := ldapServe(t, "append")
	o := startOcserv(t, s, radiusTimeout)
	wantLoggedIn(t, o, o.openconnect(ldapPassword+hotp(0)+"\n", "--passwd-on-stdin"))
	wantRefused(t, o.openconnect("not the password"+hotp(1)+"\n", "--passwd-on-stdin"), refusedRetry)
	wantLoggedIn(t, o, o.openconnect(ldapPassword+hotp(1)+"\n", "--passwd-on-stdin"))
	if n := o.completions(); n != 2 {
		t.Errorf("ocserv logged %q %d times; want 2", ocservComplete, n)
	}
}

// TestOpenconnectLDAPChallenge: the directory password first, then the
// code at ocserv's second prompt.
func TestOpenconnectLDAPChallenge(t *testing.T) {
	s := ldapServe(t, "challenge")
	o := startOcserv(t, s, radiusTimeout)
	l := o.openconnect(ldapPassword+"\n"+hotp(0)+"\n", "--passwd-on-stdin")
	wantLoggedIn(t, o, l)
	if !strings.Contains(l.stderr, testPrompt) {
		t.Errorf("openconnect did not show the prompt %q", testPrompt)
	}
	wantRefused(t, o.openconnect("wrong\n", "--passwd-on-stdin"), refusedRetry)
}
