package testpeer

import (
	"crypto/rand"
	"os/exec"
	"strings"
	"testing"
)

// LocalUser creates a local Unix account (useradd, chpasswd) with a random
// name and a password that holds a space and shell syntax, for pam_unix,
// and deletes it when t ends. A system account (-r) gets no /etc/subuid
// range and -l keeps it out of lastlog and faillog.
func LocalUser(t testing.TB) (user, password string) {
	t.Helper()
	Need(t, "useradd", "chpasswd", "userdel")
	user = "otpgt" + strings.ToLower(rand.Text()[:10])
	password = "pw " + rand.Text()[:16] + ":$(id)"
	runInput(t, "", "useradd", "-r", "-M", "-l", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
		"-c", "otpgate test, deleted after the test", user)
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", "-r", user).CombinedOutput(); err != nil {
			t.Errorf("userdel -r %s: %v: %s", user, err, out)
		}
	})
	runInput(t, user+":"+password+"\n", "chpasswd")
	return user, password
}

func runInput(t testing.TB, stdin, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}
