package primary

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// waitLong bounds every wait in these tests; it is a safety net against a
// hang, never a measured duration.
const waitLong = 2 * time.Minute

// Stacks used below, in Linux-PAM's configuration syntax (pam.d(5)).
const (
	stackUnix = "auth required pam_unix.so\naccount required pam_unix.so\n"
	// nodelay: no 2 s pam_unix delay per failure, for the busy tests.
	stackUnixNoDelay = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
	stackPermit      = "auth required pam_permit.so\naccount required pam_permit.so\n"
)

// randHex returns n random bytes in hex.
func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// writeStack writes a private PAM configuration directory holding one
// service and returns the directory.
func writeStack(t testing.TB, service, stack string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, service), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newTestPAM returns a checker for stack, read from a private directory.
func newTestPAM(t testing.TB, stack string, maxConcurrent int) *PAM {
	t.Helper()
	p, err := NewPAM(PAMConfig{Service: "otpgate-test", ConfDir: writeStack(t, "otpgate-test", stack), MaxConcurrent: maxConcurrent})
	if err != nil {
		t.Fatalf("NewPAM: %v", err)
	}
	return p
}

// run runs a program, failing t with its output if it fails.
func run(t testing.TB, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// localUser is a local Unix account for pam_unix, deleted when t ends.
func localUser(t testing.TB) (user, password string) { return testpeer.LocalUser(t) }

type pamCase struct {
	name           string
	user, password string
	want           bool
}

// checkCases runs each case through p.
func checkCases(t *testing.T, p *PAM, cases []pamCase) {
	t.Helper()
	for _, c := range cases {
		got, err := p.Check(context.Background(), c.user, c.password)
		if got != c.want || err != nil {
			t.Errorf("%s: Check(%.40q, password) = %v, %v; want %v, nil", c.name, c.user, got, err, c.want)
		}
	}
}

// pamtester runs Debian's pamtester on an /etc/pam.d service with the same
// flags otpgate uses and reports whether it let the user in.
func pamtester(t *testing.T, service, user, password string) bool {
	t.Helper()
	bin := testpeer.Need(t, "pamtester")[0]
	cmd := exec.Command(bin, service, user,
		"authenticate(PAM_SILENT|PAM_DISALLOW_NULL_AUTHTOK)", "acct_mgmt(PAM_SILENT|PAM_DISALLOW_NULL_AUTHTOK)")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true
	case errors.As(err, &exit) && exit.ExitCode() == 1 && !strings.Contains(string(out), "undefined"):
		return false
	}
	t.Fatalf("pamtester %s %s: %v: %s", service, user, err, out)
	return false
}

// installEtcService puts stack into /etc/pam.d under a unique name, for
// pamtester, which reads /etc/pam.d only, and removes it when t ends.
func installEtcService(t *testing.T, stack string) string {
	t.Helper()
	service := "otpgate-test-" + randHex(t, 6)
	path := filepath.Join("/etc/pam.d", service)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("install a PAM service for pamtester: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(path); err != nil {
			t.Errorf("remove %s: %v", path, err)
		}
	})
	if _, err := f.WriteString(stack); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return service
}

// pam_unix checks a real local account, and Debian's pamtester, running
// the same stack from /etc/pam.d, agrees on every case.
func TestPAMUnixAccount(t *testing.T) {
	user, password := localUser(t)
	p := newTestPAM(t, stackUnix, 0)
	etcService := installEtcService(t, stackUnix)
	cases := []pamCase{
		{"right password", user, password, true},
		{"wrong password", user, password + "x", false},
		{"password prefix", user, password[:len(password)-1], false},
		{"unknown user", "nosuch" + randHex(t, 4), password, false},
	}
	checkCases(t, p, cases)
	agree(t, etcService, cases)

	testpeer.Need(t, "chage")
	run(t, "", "chage", "-E", "0", user)
	expired := []pamCase{{"expired account, right password", user, password, false}}
	checkCases(t, p, expired)
	agree(t, etcService, expired)
}

// agree checks that pamtester gives each case's expected answer.
func agree(t *testing.T, service string, cases []pamCase) {
	t.Helper()
	for _, c := range cases {
		if got := pamtester(t, service, c.user, c.password); got != c.want {
			t.Errorf("%s: pamtester %s %s = %v; want %v (as otpgate)", c.name, service, c.user, got, c.want)
		}
	}
}

// Passwords that cannot reach pam_unix intact are refused before it: an
// empty one, one cut short by a NUL, one beyond PAM_MAX_RESP_SIZE.
func TestPAMUnixPasswordLimits(t *testing.T) {
	user, password := localUser(t)
	p := newTestPAM(t, stackUnixNoDelay, 0)
	checkCases(t, p, []pamCase{
		{"right password", user, password, true},
		{"empty password", user, "", false},
		{"NUL after the password", user, password + "\x00junk", false},
		{"too long", user, strings.Repeat("x", MaxPAMPasswordLen+1), false},
	})
}

// Stacks of pam_permit and pam_deny show that both pam_authenticate and
// pam_acct_mgmt decide, and that a broken stack is an error, not a "no".
func TestPAMStacks(t *testing.T) {
	for _, tt := range []struct {
		name, stack string
		want        bool
		wantErr     bool
	}{
		{"permit", stackPermit, true, false},
		{"auth deny", "auth required pam_deny.so\naccount required pam_permit.so\n", false, false},
		{"account deny", "auth required pam_permit.so\naccount required pam_deny.so\n", false, false},
		{"deny then permit", "auth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_permit.so\n", false, false},
		{"missing auth module", "auth required pam_otpgate_missing.so\naccount required pam_permit.so\n", false, true},
		{"missing account module", "auth required pam_permit.so\naccount required /nonexistent/pam_x.so\n", false, true},
		// libpam fails a facility without modules with PAM_PERM_DENIED.
		{"no account stack", "auth required pam_permit.so\n", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPAM(t, tt.stack, 0)
			got, err := p.Check(context.Background(), "alice", "correct horse")
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("Check(%q) = %v, %v; want %v, error %v", "alice", got, err, tt.want, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "correct horse") {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

// pam_oath (libpam-oath) prompts for a code in every instance: the third
// prompt is refused and Check says why, rather than answering forever.
func TestPAMTooManyPrompts(t *testing.T) {
	oath := "auth required pam_oath.so usersfile=/nonexistent window=1\n"
	p := newTestPAM(t, strings.Repeat(oath, 3)+"account required pam_permit.so\n", 0)
	got, err := p.Check(context.Background(), "alice", "123456")
	if got || err == nil || !strings.Contains(err.Error(), "asked for more than the password") {
		t.Errorf("Check with three prompting modules = %v, %v; want false and a prompt refusal", got, err)
	}
}

// A service without a file, in a directory without "other", is an error.
func TestPAMMissingService(t *testing.T) {
	p, err := NewPAM(PAMConfig{Service: "absent", ConfDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Check(context.Background(), "alice", "pw"); got || err == nil {
		t.Errorf("Check with no stack = %v, %v; want false and an error", got, err)
	}
}

func TestNewPAMConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		cfg PAMConfig
		ok  bool
	}{
		{PAMConfig{}, true},
		{PAMConfig{Service: "openvpn", MaxConcurrent: 16}, true},
		{PAMConfig{Service: "otp-gate_2.vpn+x", ConfDir: dir}, true},
		{PAMConfig{Service: "../../etc/passwd"}, false},
		{PAMConfig{Service: "a/b"}, false},
		{PAMConfig{Service: ".hidden"}, false},
		{PAMConfig{Service: "a\x00b"}, false},
		{PAMConfig{Service: "a b"}, false},
		{PAMConfig{Service: "é"}, false},
		{PAMConfig{Service: strings.Repeat("s", 65)}, false},
		{PAMConfig{MaxConcurrent: -1}, false},
		{PAMConfig{MaxConcurrent: 1 << 20}, false},
		{PAMConfig{ConfDir: "relative/dir"}, false},
		{PAMConfig{ConfDir: filepath.Join(dir, "missing")}, false},
		{PAMConfig{ConfDir: writeFile(t, dir, "file")}, false},
	} {
		p, err := NewPAM(tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("NewPAM(%+v) = %v; want ok %v", tt.cfg, err, tt.ok)
		}
		if err == nil && (p.cfg.Service == "" || cap(p.sem) < 1) {
			t.Errorf("NewPAM(%+v) left defaults unset: %+v", tt.cfg, p.cfg)
		}
	}
}

func TestPAMZeroValue(t *testing.T) {
	if got, err := new(PAM).Check(t.Context(), "alice", "pw"); got || err == nil {
		t.Errorf("PAM{}.Check = %v, %v; want false and an error", got, err)
	}
}

func writeFile(t *testing.T, dir, name string) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The conversation answers passwords twice at most and never loops.
func TestPAMConversation(t *testing.T) {
	c := &pamConv{user: "alice", password: "pw"}
	steps := []struct {
		style pamStyle
		want  string
		ok    bool
	}{
		{pamTextInfo, "", true},
		{pamPromptEchoOn, "alice", true},
		{pamPromptEchoOff, "pw", true},
		{pamErrorMsg, "", true},
		{pamPromptEchoOff, "pw", true},
		{pamPromptEchoOff, "", false},
		{pamPromptEchoOn, "", false},
		{pamTextInfo, "", false},
	}
	for i, s := range steps {
		got, err := c.RespondPAM(s.style, "prompt")
		if got != s.want || (err == nil) != s.ok {
			t.Errorf("step %d: RespondPAM(%v) = %q, %v; want %q, ok %v", i, s.style, got, err, s.want, s.ok)
		}
	}
	chatty := &pamConv{user: "alice", password: "pw"}
	for range maxPAMMessages {
		chatty.RespondPAM(pamTextInfo, "hello")
	}
	if _, err := chatty.RespondPAM(pamPromptEchoOff, "Password: "); err == nil {
		t.Errorf("RespondPAM after %d messages succeeded; want a refusal", maxPAMMessages)
	}
}

// hostileUsers are user names a VPN client could send.
var hostileUsers = []string{
	"$(id)", "`id`", "a;id", "../../etc/passwd", "a/b", "x y", "root\n", "a\nb", "a\rb", "a\x00b",
	"\x1b[31m", "\xff\xfe", "a\xc3", strings.Repeat("u", 10<<10), strings.Repeat("u", MaxPAMUserLen+1),
	"-root", "+", "", " ",
}

// Hostile user names are refused by pam_unix or before PAM, never crash,
// and reach PAM only as the bytes given: with pam_permit, exactly the names
// that pass pamUserOK are let in.
func TestPAMHostileUsers(t *testing.T) {
	unix := newTestPAM(t, stackUnixNoDelay, 0)
	permit := newTestPAM(t, stackPermit, 0)
	for _, u := range hostileUsers {
		if got, err := unix.Check(t.Context(), u, "pw"); got || err != nil {
			t.Errorf("pam_unix: Check(%.40q) = %v, %v; want false, nil", u, got, err)
		}
		want := pamUserOK(u)
		if got, err := permit.Check(t.Context(), u, "pw"); got != want || err != nil {
			t.Errorf("pam_permit: Check(%.40q) = %v, %v; want %v, nil", u, got, err, want)
		}
	}
	for _, u := range []string{"", "a\x00b", "a\nb", "\xff", strings.Repeat("u", 10<<10)} {
		if pamUserOK(u) {
			t.Errorf("pamUserOK(%.40q) = true; want false", u)
		}
	}
}

// FuzzPAMUser: no user name crashes Check, and pam_permit lets in exactly
// the names pamUserOK accepts, so names reach PAM unaltered and unfiltered
// ones cannot slip through.
func FuzzPAMUser(f *testing.F) {
	for _, u := range hostileUsers {
		f.Add(u)
	}
	f.Add("alice")
	p := newTestPAM(f, stackPermit, 0)
	f.Fuzz(func(t *testing.T, user string) {
		got, err := p.Check(context.Background(), user, "pw")
		if err != nil || got != pamUserOK(user) {
			t.Errorf("Check(%q) = %v, %v; want %v, nil", user, got, err, pamUserOK(user))
		}
		if got && (len(user) > MaxPAMUserLen || strings.ContainsRune(user, 0)) {
			t.Errorf("Check(%q) let in a name PAM cannot hold", user)
		}
	})
}

// A checker for a private stack that lets in the users listed in a file. In
// production, leave ConfDir empty and write the stack to /etc/pam.d/otpgate;
// for local Unix accounts on Debian that is
//
//	@include common-auth
//	@include common-account
func ExampleNewPAM() {
	dir, err := os.MkdirTemp("", "otpgate-pam-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	users := filepath.Join(dir, "vpn-users")
	stack := "auth required pam_listfile.so item=user sense=allow onerr=fail file=" + users + "\n" +
		"account required pam_permit.so\n"
	if err := errors.Join(
		os.WriteFile(users, []byte("alice\n"), 0o600),
		os.WriteFile(filepath.Join(dir, "vpn"), []byte(stack), 0o644),
	); err != nil {
		log.Fatal(err)
	}

	p, err := NewPAM(PAMConfig{Service: "vpn", ConfDir: dir, MaxConcurrent: 8})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, user := range []string{"alice", "mallory"} {
		ok, err := p.Check(ctx, user, "correct horse battery staple")
		fmt.Println(user, ok, err)
	}
	// Output:
	// alice true <nil>
	// mallory false <nil>
}
