package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

const policySecret = "policy-nas-secret-of-some-length"

// policyConfig is a site with every kind of rule and a FreeRADIUS as the
// legacy server (Debian 12's sends no Message-Authenticator). The hours
// rules hold from three hours before now to three after, and from six
// hours after to nine after (never while the test runs).
func policyConfig(dir, legacy string, now time.Time) string {
	clock := func(d time.Duration) string { return now.UTC().Add(d).Format("15:04") }
	return fmt.Sprintf(`db = %[1]q
[auth]
primary = "htpasswd:%[2]s"
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "vpn"
address = "127.0.0.1"
secret_file = %[3]q
style = "append"

[policy]
dictionaries = ["/usr/share/freeradius/dictionary.cisco"]

[[policy.rule]]
name = "blocked"
user = ["mallory"]
deny = true

[[policy.rule]]
name = "gina elsewhere"
user = ["gina"]
nas = ["192.0.2.0/24"]
deny = true

[[policy.rule]]
name = "gina at the vpn"
user = ["gina"]
nas = ["vpn"]
otp = "skip"

[[policy.rule]]
name = "hank over openvpn"
user = ["hank"]
frontend = ["openvpn"]
deny = true

[[policy.rule]]
name = "hank over radius"
user = ["hank"]
frontend = ["radius"]
otp = "skip"

[[policy.rule]]
name = "ivan off hours"
user = ["ivan"]
hours = %[7]q
time_zone = "UTC"
deny = true

[[policy.rule]]
name = "ivan's shift"
user = ["ivan"]
hours = %[6]q
time_zone = "UTC"
otp = "skip"

[[policy.rule]]
name = "service accounts"
group = ["svc"]
otp = "skip"

[[policy.rule]]
name = "management network"
from = ["10.99.0.0/16"]
otp = "skip"
reply = { Filter-Id = "mgmt" }

[[policy.rule]]
name = "admins: hardware only"
group = ["admins"]
token_types = ["yubico", "hotp-prefixed"]

[[policy.rule]]
name = "everyone"
forward = "rsa"
reply = { Class = "staff", Cisco-AVPair = "shell:priv-lvl=1", Framed-IP-Address = "10.8.0.42" }

[[policy.forward]]
name = "rsa"
servers = [%[4]q]
secret_file = %[5]q
timeout = "1s"
tries = 1
require_message_authenticator = false
`, filepath.Join(dir, "otpgate.db"), filepath.Join(dir, "htpasswd"), filepath.Join(dir, "vpn.secret"), legacy, filepath.Join(dir, "rsa.secret"),
		clock(-3*time.Hour)+"-"+clock(3*time.Hour), clock(6*time.Hour)+"-"+clock(9*time.Hour))
}

// radiusLines returns the rules of the daemon's RADIUS answers to user, in
// order.
func radiusLines(d *daemonProc, user string) []string {
	var rules []string
	for _, line := range strings.Split(d.logText.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["user"] != user || !strings.HasPrefix(fmt.Sprint(m["msg"]), "radius: ") {
			continue
		}
		rule, _ := m["rule"].(string)
		rules = append(rules, rule)
	}
	return rules
}

// loggedRule waits for the daemon to log its answer number n (from 1) to
// user, and returns the rule it logged.
func loggedRule(t *testing.T, d *daemonProc, user string, n int) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rules := radiusLines(d, user); len(rules) >= n {
			return rules[n-1]
		}
	}
	t.Fatalf("the daemon logged no answer number %d to %s:\n%s", n, user, d.logText)
	return ""
}

var explainedRule = regexp.MustCompile(`(?m)^decision \((.*)\): `)

// explainRule runs otpgate policy explain on the daemon's clock, the
// machine's, and returns the rule it names.
func explainRule(t *testing.T, cfg, user string, args ...string) string {
	t.Helper()
	e, out, errb := testEnv("", nil)
	e.now = time.Now
	code := run(append([]string{"policy", "explain", user, "--config", cfg}, args...), e)
	m := explainedRule.FindStringSubmatch(out.String())
	if code != 0 || m == nil {
		t.Fatalf("policy explain %s = %d\n%s%s", user, code, out, errb)
	}
	return m[1]
}

// radclientOut sends one Access-Request and returns radclient's output.
func radclientOut(t *testing.T, addr, attrs string) string {
	t.Helper()
	cmd := exec.Command(testpeer.Need(t, "radclient")[0], "-x", "-t", "3", "-r", "1", addr, "auth", policySecret)
	cmd.Stdin = strings.NewReader(attrs + `, Message-Authenticator = 0x00` + "\n")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// TestPolicyServe runs `otpgate serve` with rules of every kind, radclient
// as the NAS and FreeRADIUS as the legacy server, and checks each login's
// answer, its reply attributes as radclient prints them, and that
// `otpgate policy explain` names the rule the daemon decided by.
func TestPolicyServe(t *testing.T) {
	dir := t.TempDir()
	legacy := testpeer.StartFreeRADIUS(t, testpeer.FreeRADIUSConfig{Secret: "legacy-rsa-secret",
		Users: "dave\tCleartext-Password := \"4711123456\"\n\tClass = \"from-rsa\"\n",
		Authorize: `
		if (User-Name == "erin") {
			if (!State) {
				update reply {
					Reply-Message := "Next tokencode:"
					State := "rsa-next"
				}
				update control {
					Response-Packet-Type := Access-Challenge
				}
				handled
			}
			elsif (State == "rsa-next" && User-Password == "222222") {
				update control {
					Auth-Type := Accept
				}
			}
			else {
				reject
			}
		}`})
	for name, secret := range map[string]string{"vpn.secret": policySecret, "rsa.secret": "legacy-rsa-secret"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]string{"alice": "apw", "backup": "bpw", "bob": "obpw", "carol": "cpw", "mallory": "mpw", "gina": "gpw", "hank": "hpw", "ivan": "ipw"}
	for u, pw := range users {
		bin := testpeer.Need(t, "htpasswd")[0]
		args := []string{"-i", "-B", filepath.Join(dir, "htpasswd"), u}
		if _, err := os.Stat(filepath.Join(dir, "htpasswd")); err != nil {
			args = append([]string{"-c"}, args...)
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(pw)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("htpasswd: %v\n%s", err, out)
		}
	}
	cfg := filepath.Join(dir, "otpgate.toml")
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	mustRun(t, "", "enroll", "carol", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	mustRun(t, "", "group", "add", "svc", "backup", "--db", db)
	mustRun(t, "", "group", "add", "admins", "carol", "--db", db)
	d := startServe(t, dir, policyConfig(dir, legacy.Addr.String(), time.Now()))

	codes := strings.Fields(mustRun(t, "", "recovery", "alice", "--count", "2", "--config", cfg).stdout)
	tests := []struct {
		name, user, attrs, want string
		printed                 []string // what radclient must print of the reply
		explain                 []string // policy explain's flags
	}{
		{"code appended, the default rule's reply", "alice", `User-Password = "apw` + rfc4226Codes[0] + `"`, "Access-Accept",
			[]string{`Class = 0x7374616666`, `Cisco-AVPair = "shell:priv-lvl=1"`, `Framed-IP-Address = 10.8.0.42`}, nil},
		{"recovery code appended", "alice", `User-Password = "apw` + codes[0] + `"`, "Access-Accept", nil, nil},
		{"recovery code again", "alice", `User-Password = "apw` + codes[0] + `"`, "Access-Reject", nil, nil},
		{"service account, password alone", "backup", `User-Password = "bpw"`, "Access-Accept", nil, nil},
		{"management network, password alone", "bob", `User-Password = "obpw", Calling-Station-Id = "10.99.1.2"`, "Access-Accept",
			[]string{`Filter-Id = "mgmt"`}, []string{"--from", "10.99.1.2"}},
		{"elsewhere, bob is forwarded and the legacy server refuses", "bob", `User-Password = "obpw", Calling-Station-Id = "203.0.113.9"`, "Access-Reject",
			nil, []string{"--from", "203.0.113.9"}},
		{"denied with the right code", "mallory", `User-Password = "mpw` + rfc4226Codes[1] + `"`, "Access-Reject", nil, nil},
		{"by the NAS's name, password alone", "gina", `User-Password = "gpw"`, "Access-Accept", nil, []string{"--nas", "vpn"}},
		{"by the NAS's address, as explain finds its name", "gina", `User-Password = "gpw"`, "Access-Accept", nil, []string{"--nas", "127.0.0.1"}},
		{"by the front end, password alone", "hank", `User-Password = "hpw"`, "Access-Accept", nil, nil},
		{"by the time of day, password alone", "ivan", `User-Password = "ipw"`, "Access-Accept", nil, nil},
		{"admin with an app token", "carol", `User-Password = "cpw` + rfc4226Codes[0] + `"`, "Access-Reject", nil, nil},
		{"no token here: forwarded, accepted", "dave", `User-Password = "4711123456"`, "Access-Accept",
			[]string{`Class = 0x7374616666`, `Class = 0x66726f6d2d727361`}, nil},
	}
	answers := map[string]int{}
	for _, tt := range tests {
		out := radclientOut(t, d.radius, `User-Name = "`+tt.user+`", `+tt.attrs)
		answers[tt.user]++
		_, received, _ := strings.Cut(out, "Received ")
		t.Logf("%s: %s", tt.name, received)
		if !strings.HasPrefix(received, tt.want) {
			t.Errorf("%s: radclient got %q; want %s\n%s", tt.name, received, tt.want, d.logText)
			continue
		}
		for _, p := range tt.printed {
			if !strings.Contains(received, p) {
				t.Errorf("%s: radclient did not print %s:\n%s", tt.name, p, received)
			}
		}
		if got, want := explainRule(t, cfg, tt.user, tt.explain...), loggedRule(t, d, tt.user, answers[tt.user]); got != want || want == "" {
			t.Errorf("%s: policy explain says rule %q, the login was decided by %q", tt.name, got, want)
		}
	}

	// The legacy server's challenge, answered through otpgate's State.
	out := radclientOut(t, d.radius, `User-Name = "erin", User-Password = "4711111111"`)
	state := regexp.MustCompile(`State = (0x[0-9a-f]+)`).FindStringSubmatch(out)
	if !strings.Contains(out, "Received Access-Challenge") || !strings.Contains(out, `Reply-Message = "Next tokencode:"`) || state == nil {
		t.Fatalf("erin's first round:\n%s", out)
	}
	if strings.Contains(state[1], fmt.Sprintf("%x", "rsa-next")) {
		t.Errorf("the NAS saw the legacy server's State %s", state[1])
	}
	if out := radclientOut(t, d.radius, `User-Name = "erin", User-Password = "222222", State = `+state[1]); !strings.Contains(out, "Received Access-Accept") {
		t.Errorf("erin's answer:\n%s", out)
	}

	// The legacy server down: the forwarded login is refused.
	legacy.Stop()
	if out := radclientOut(t, d.radius, `User-Name = "dave", User-Password = "4711123456"`); !strings.Contains(out, "Received Access-Reject") {
		t.Errorf("dave with the legacy server down:\n%s", out)
	}
	if strings.Contains(d.logText.String(), codes[0]) || strings.Contains(d.logText.String(), "4711123456") {
		t.Errorf("the daemon's log holds a code or a password:\n%s", d.logText)
	}
}

func TestGroupCommands(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "group", "add", "admins", "alice", "bob", f, db)
	mustRun(t, "", "group", "add", "svc", "backup", f, db)
	if r := mustRun(t, "", "group", "list", f, db); r.stdout != "admins\t2\nsvc\t1\n" {
		t.Errorf("group list = %q", r.stdout)
	}
	if r := mustRun(t, "", "group", "list", "admins", f, db); r.stdout != "alice\nbob\n" {
		t.Errorf("group list admins = %q", r.stdout)
	}
	mustRun(t, "", "group", "add", "admins", "Jose\u0301", f, db) // decomposed: stored composed
	if r := mustRun(t, "", "group", "list", "admins", f, db); r.stdout != "Jos\u00e9\nalice\nbob\n" {
		t.Errorf("group list admins = %q", r.stdout)
	}
	mustRun(t, "", "group", "remove", "admins", "Jos\u00e9", f, db)
	mustRun(t, "", "group", "remove", "admins", "bob", f, db)
	if r := mustRun(t, "", "group", "list", "admins", "--json", f, db); strings.Join(strings.Fields(r.stdout), "") != `["alice"]` {
		t.Errorf("group list admins --json = %q", r.stdout)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"group", "add", "admins", "alice"}, 1, `otpgate: error: admin: user "alice" is already in group "admins"`},
		{[]string{"group", "remove", "admins", "bob"}, 1, `is not in group "admins"`},
		{[]string{"group", "add", "two words", "x"}, 1, "has a space"},
		{[]string{"group", "add", "admins", "a\tb"}, 1, "otpgate: error: username: "},
		{[]string{"group", "add", "admins"}, 2, "missing GROUP and at least one USER"},
		{[]string{"group", "rename"}, 2, `unknown subcommand "rename"`},
		{[]string{"group"}, 2, "give a subcommand"},
	} {
		r := otpgate(t, "", nil, append(c.args, f, db)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("otpgate %q = %d, %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}

func TestRecoveryCommand(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	r := mustRun(t, "", "recovery", "alice", f, db)
	codes := strings.Fields(r.stdout)
	if len(codes) != 10 || len(codes[0]) != 10 || !strings.Contains(r.stderr, "not shown again") {
		t.Fatalf("recovery alice = %q, %q; want 10 codes of 10 digits", r.stdout, r.stderr)
	}
	if r := mustRun(t, "", "recovery", "alice", "--left", f, db); r.stdout != "10\n" {
		t.Errorf("recovery --left = %q; want 10", r.stdout)
	}
	mustRun(t, "", "recovery", "alice", "--count", "3", f, db)
	if r := mustRun(t, "", "recovery", "alice", "--left", f, db); r.stdout != "3\n" {
		t.Errorf("recovery --left after a new set of 3 = %q", r.stdout)
	}
	if r := otpgate(t, "", nil, "recovery", "nobody", f, db); r.code != 1 || !strings.Contains(r.stderr, "no such user") {
		t.Errorf("recovery nobody = %d, %q", r.code, r.stderr)
	}
	if r := otpgate(t, "", nil, "recovery", "alice", "--count", "0", f, db); r.code != 2 {
		t.Errorf("recovery --count 0 = %d, %q; want 2", r.code, r.stderr)
	}
	audit := mustRun(t, "", "audit", f, db).stdout
	if !strings.Contains(audit, "recovery-codes") {
		t.Errorf("audit lacks the recovery codes:\n%s", audit)
	}
	for _, c := range codes {
		if strings.Contains(audit, c) {
			t.Errorf("the audit trail holds a recovery code")
		}
	}
}

func TestPolicyExplainErrors(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", f, db)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"policy"}, 2, "give a subcommand (accepted: explain)"},
		{[]string{"policy", "explain"}, 2, "missing USER"},
		{[]string{"policy", "explain", "alice", "--from", "corp"}, 2, `--from "corp" is not an IP address`},
		{[]string{"policy", "explain", "alice", "--frontend", "ssh"}, 2, `--frontend "ssh"`},
		{[]string{"policy", "explain", "a\tb"}, 1, "otpgate: error: username: "},
	} {
		r := otpgate(t, "", nil, append(c.args, f, db)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("otpgate %q = %d, %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	r := mustRun(t, "", "policy", "explain", "alice", f, db)
	if !strings.Contains(r.stdout, "no rule matched: the default applies") || !strings.Contains(r.stdout, "for alice: a code from one of 1 token(s) (totp), or a recovery code") {
		t.Errorf("explain without rules = %q", r.stdout)
	}
}

// TestClientLockoutRADIUS checks that a NAS's Calling-Station-Id is the
// client the login service locks out, an address or not (a MAC here):
// radclient's wrong logins for other users lock that station, whose right
// login is then refused, while the same login from another station passes.
func TestClientLockoutRADIUS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vpn.secret"), []byte(policySecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	d := startServe(t, dir, fmt.Sprintf(`db = %q
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "vpn"
address = "127.0.0.1"
secret_file = %q
[policy]
client_max_failures = 2
client_lock_for = "1h"
`, db, filepath.Join(dir, "vpn.secret")))
	const mac = `Calling-Station-Id = "00-11-22-33-44-55"`
	for _, user := range []string{"nobody", "alice"} {
		if out := radclientOut(t, d.radius, `User-Name = "`+user+`", User-Password = "000000", `+mac); !strings.Contains(out, "Received Access-Reject") {
			t.Fatalf("%s's wrong code:\n%s", user, out)
		}
	}
	if out := radclientOut(t, d.radius, `User-Name = "alice", User-Password = "`+rfc4226Codes[0]+`", `+mac); !strings.Contains(out, "Received Access-Reject") {
		t.Errorf("the locked station's right code was not refused:\n%s", out)
	}
	other := `Calling-Station-Id = "00-11-22-33-44-66"`
	if out := radclientOut(t, d.radius, `User-Name = "alice", User-Password = "`+rfc4226Codes[0]+`", `+other); !strings.Contains(out, "Received Access-Accept") {
		t.Errorf("another station's right code:\n%s\n%s", out, d.logText)
	}
}
