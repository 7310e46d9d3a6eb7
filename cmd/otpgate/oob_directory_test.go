package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// The glue of the directory, out-of-band codes and the portal: addresses
// from slapd, codes and invitations delivered by a real Postfix.

// oobTOML is an [oob] table sending through p's STARTTLS listener.
func oobTOML(p *testpeer.Postfix) string {
	return fmt.Sprintf(`[oob]
vpn_name = "Example VPN"
[oob.smtp]
server = %q
ca_file = %q
server_name = "localhost"
username = %q
password_file = %q
from = "vpn@example.org"
`, p.StartTLS, p.PKI.CAFile, p.User, p.PasswordFile)
}

// challengeRadclient sends one Access-Request with radclient and returns
// its output, which holds the reply's code and attributes.
func challengeRadclient(t *testing.T, addr, secret, attrs string) string {
	t.Helper()
	cmd := exec.Command(testpeer.Need(t, "radclient")[0], "-x", "-t", "5", "-r", "1", addr, "auth", secret)
	cmd.Stdin = strings.NewReader(attrs + `, NAS-Identifier = "vpn1", Message-Authenticator = 0x00` + "\n")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// TestEnrollOOBFromDirectory: enroll --type email without --address takes
// alice's mail from slapd, --type sms her pager (she has no mobile); a user
// without mail, one not in the directory, and a site without [ldap] are
// refused with one line. Then alice logs in through otpgate serve with her
// directory password over RADIUS, and answers the Access-Challenge with
// the code Postfix delivered to that address.
func TestEnrollOOBFromDirectory(t *testing.T) {
	p := testpeer.StartPostfix(t)
	s := newLDAPSite(t)
	pw := filepath.Join(s.dir, "ldap.pw")
	s.write(t, "otpgate.toml", fmt.Sprintf("db = %q\n", s.db)+ldapTOML(s.slapd, pw)+oobTOML(p))
	r := s.run(t, "enroll", "alice", "--type", "sms")
	if r.code != 0 || !strings.Contains(r.stdout, "address:    447946000001@sms.example.net\n") {
		t.Errorf("enroll alice --type sms = %d, %q, %q; want the pager alias", r.code, r.stdout, r.stderr)
	}
	r = s.run(t, "enroll", `EXAMPLE\alice`, "--type", "email", "--replace")
	if r.code != 0 || !strings.Contains(r.stdout, "user:       alice\n") || !strings.Contains(r.stdout, "address:    alice@example.org\n") {
		t.Fatalf("enroll alice --type email = %d, %q, %q; want the directory's mail", r.code, r.stdout, r.stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bob", "--type", "email", "--config", s.cfg}, `otpgate: error: admin: no address in the directory: "bob" has no mail attribute`},
		{[]string{"bob", "--type", "sms", "--config", s.cfg}, `"bob" has no mobile or pager attribute`},
		{[]string{"nobody", "--type", "email", "--config", s.cfg}, `otpgate: error: enroll: "nobody" is not in the directory`},
		{[]string{"alice", "--type", "email", "--db", filepath.Join(t.TempDir(), "other.db")}, "the configuration has no [ldap] table"},
	}
	for _, tc := range cases {
		r := otpgate(t, "", nil, append([]string{"enroll"}, tc.args...)...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "otpgate: error: ") || !strings.Contains(r.stderr, tc.want) ||
			!strings.Contains(r.stderr, "otpgate: hint: give --address") {
			t.Errorf("enroll %q = %d, %q; want 1, %q and a hint", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if show := s.run(t, "show", "alice").stdout; !strings.Contains(show, "address:       alice@example.org") || !strings.Contains(show, "ldap mail:     alice@example.org") {
		t.Errorf("show alice:\n%s\nwant the token's address and the directory's", show)
	}

	const secret = "a-shared-secret-of-some-length"
	s.write(t, "vpn.secret", secret+"\n")
	d := startServe(t, s.dir, serveConfig(s.dir, s.db, "challenge")+"[auth]\nprimary = \"ldap\"\n"+ldapTOML(s.slapd, pw)+oobTOML(p))
	if out := challengeRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "wrong-pw"`); !strings.Contains(out, "Received Access-Reject") {
		t.Errorf("a wrong directory password:\n%s\nwant Access-Reject", out)
	}
	out := challengeRadclient(t, d.radius, secret, `User-Name = "EXAMPLE\\alice", User-Password = "alice-pw"`)
	state := regexp.MustCompile(`State = (0x[0-9a-f]+)`).FindStringSubmatch(out)
	if !strings.Contains(out, "Received Access-Challenge") || !strings.Contains(out, "A code was sent to a***@example.org") || state == nil {
		t.Fatalf("the directory password:\n%s\nwant an Access-Challenge naming the masked address; daemon log:\n%s", out, d.logText)
	}
	body := p.WaitMail(t, "alice@example.org", 1)[0].Body
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(body)
	if code == "" {
		t.Fatalf("no code in the message:\n%s", body)
	}
	answer := fmt.Sprintf(`User-Name = "EXAMPLE\\alice", User-Password = %q, State = %s`, code, state[1])
	if out := challengeRadclient(t, d.radius, secret, answer); !strings.Contains(out, "Received Access-Accept") {
		t.Errorf("the mailed code:\n%s\nwant Access-Accept; daemon log:\n%s", out, d.logText)
	}
	if out := challengeRadclient(t, d.radius, secret, answer); !strings.Contains(out, "Received Access-Reject") {
		t.Errorf("the mailed code again:\n%s\nwant Access-Reject", out)
	}
	if strings.Contains(d.logText.String(), code) {
		t.Errorf("the daemon's log holds the code")
	}
}
