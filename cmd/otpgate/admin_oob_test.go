package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// A user holds one app token and one email or SMS token: enrolling one
// kind leaves the other, and --replace replaces only its own kind.
func TestEnrollEmail(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	r := mustRun(t, "", "enroll", "alice", "--type", "email", "--address", "alice@example.org", f, db)
	if !strings.Contains(r.stdout, "type:       email") || !strings.Contains(r.stdout, "address:    alice@example.org") {
		t.Errorf("enroll --type email printed:\n%s", r.stdout)
	}
	r = otpgate(t, "", nil, "enroll", "alice", "--type", "sms", "--address", "+15551234567", f, db)
	if r.code != 1 || !strings.Contains(r.stderr, "email or SMS token already") || !strings.Contains(r.stderr, "hint: give --replace") {
		t.Errorf("a second out-of-band token = %d, %q; want a refusal with the --replace hint", r.code, r.stderr)
	}
	var sms struct {
		Address  string
		Replaced []string
	}
	r = mustRun(t, "", "enroll", "alice", "--type", "sms", "--address", "+1 (555) 123-4567", "--replace", "--json", f, db)
	if err := json.Unmarshal([]byte(r.stdout), &sms); err != nil || sms.Address != "+15551234567" || len(sms.Replaced) != 1 {
		t.Errorf("enroll --type sms --replace --json = %q; want +15551234567 replacing the email token", r.stdout)
	}
	mustRun(t, "", "enroll", "alice", "--replace", f, db) // a new app token; the SMS token stays
	show := mustRun(t, "", "show", "alice", f, db).stdout
	if strings.Count(show, "token:") != 2 || !strings.Contains(show, "address:       +15551234567") ||
		!strings.Contains(show, "last send:     never") || !strings.Contains(show, "type:          totp") {
		t.Errorf("show alice:\n%s\nwant a TOTP and an SMS token, with its address and no send", show)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--type", "email"}, 1, "without --address takes the address from the [ldap] directory"},
		{[]string{"--address", "bob@example.org"}, 2, "--address is for --type email or sms"},
		{[]string{"--type", "email", "--address", "bob@example.org", "--key-file", "k"}, 2, "takes no key"},
		{[]string{"--type", "email", "--address", "Bob <bob@example.org>"}, 1, "not a mail address"},
		{[]string{"--type", "sms", "--address", "555-CALL-NOW"}, 1, "not a phone number"},
		{[]string{"--type", "fax"}, 2, "unknown --type"},
	} {
		r := otpgate(t, "", nil, append([]string{"enroll", "bob", f, db}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("enroll bob %q = %d, %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// otpgate test sends a test message, with no code, through the site's
// [oob] relay (a real Postfix), next to the app token's code; show then
// gives its time and result.
func TestTestSendsMessage(t *testing.T) {
	p := testpeer.StartPostfix(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "otpgate.toml")
	cfg := fmt.Sprintf(`db = %q
[oob]
vpn_name = "Example VPN"
[oob.smtp]
server = %q
ca_file = %q
server_name = "localhost"
username = %q
password_file = %q
from = "vpn@example.org"
`, filepath.Join(dir, "otpgate.db"), p.StartTLS, p.PKI.CAFile, p.User, p.PasswordFile)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "enroll", "alice", "--config", conf)
	mustRun(t, "", "enroll", "alice", "--type", "email", "--address", "alice@example.org", "--config", conf)
	r := mustRun(t, "", "test", "alice", "--config", conf)
	if !regexp.MustCompile(`(?m)^[A-Z0-9]+ [0-9]{6}$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^[A-Z0-9]+ sent a test message to a\*\*\*@example.org by smtp$`).MatchString(r.stdout) {
		t.Errorf("otpgate test alice printed:\n%s\nwant the TOTP code and the test message", r.stdout)
	}
	m := p.WaitMail(t, "alice@example.org", 1)[0]
	if !strings.Contains(m.Body, "test message from Example VPN") || regexp.MustCompile(`[0-9]{6}`).MatchString(m.Body) {
		t.Errorf("the test message says %q; want a test message with no code", m.Body)
	}
	if show := mustRun(t, "", "show", "alice", "--config", conf).stdout; !strings.Contains(show, "(ok: smtp to a***@example.org)") {
		t.Errorf("show after the test:\n%s\nwant the last send", show)
	}
	p.Stop(t)
	if r := otpgate(t, "", nil, "test", "alice", "--config", conf); r.code != 1 || !strings.Contains(r.stderr, "could not send the code") {
		t.Errorf("otpgate test with the relay down = %d, %q; want a clear failure", r.code, r.stderr)
	}
}
