package main

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

func TestDebVersion(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"v1.2.3-rc.1", "1.2.3~rc.1"},
		{"v0.0.0-20261203123829-bbdd7549784e", "0.0.0~20261203123829.bbdd7549784e"},
		{"v0.0.0-20261203123829-bbdd7549784e+dirty", "0.0.0~20261203123829.bbdd7549784e+dirty"},
		{"(devel)", ""},
		{"v", ""},
		{"v1.0.0_x", ""},
	} {
		got, err := debVersion(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("debVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// dpkgLockWait bounds how long the test waits for another apt or dpkg on
// this machine to let go of dpkg's lock; a safety net, never a measure.
const dpkgLockWait = 15 * time.Minute

// root runs a program as root and returns its combined output, failing t
// if it fails. dpkg is retried while another package manager holds its lock.
func root(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := tryRoot(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func tryRoot(name string, args ...string) (string, error) {
	for deadline := time.Now().Add(dpkgLockWait); ; time.Sleep(2 * time.Second) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "lock") || time.Now().After(deadline) {
			return string(out), err
		}
	}
}

// machineState is what the test must leave as it found it.
type machineState struct {
	hadUser, hadGroup bool
}

// before checks that the package is not installed and nothing it creates
// exists yet, and registers the clean-up that puts the machine back.
func before(t *testing.T) {
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "otpgate").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Fatalf("the otpgate package is installed on this machine (%s); this test would replace it", out)
	}
	for _, d := range []string{"/var/lib/otpgate", "/var/log/otpgate", "/etc/otpgate"} {
		if _, err := os.Lstat(d); err == nil {
			t.Fatalf("%s exists: the package this test installs owns it; move it away first", d)
		}
	}
	_, uerr := user.Lookup("otpgate")
	_, gerr := user.LookupGroup("otpgate")
	s := machineState{hadUser: uerr == nil, hadGroup: gerr == nil}
	t.Cleanup(func() { restore(t, s) })
}

func restore(t *testing.T, s machineState) {
	if out, err := tryRoot("dpkg", "--purge", "otpgate"); err != nil {
		t.Errorf("dpkg --purge otpgate: %v\n%s", err, out)
	}
	for _, d := range []string{"/var/lib/otpgate", "/var/log/otpgate", "/etc/otpgate"} {
		if err := os.RemoveAll(d); err != nil {
			t.Errorf("remove %s: %v", d, err)
		}
	}
	if !s.hadUser {
		if out, err := tryRoot("deluser", "--quiet", "--system", "otpgate"); err != nil {
			t.Errorf("deluser otpgate: %v\n%s", err, out)
		}
	}
	if _, err := user.LookupGroup("otpgate"); err == nil && !s.hadGroup {
		if out, err := tryRoot("delgroup", "--quiet", "--system", "otpgate"); err != nil {
			t.Errorf("delgroup otpgate: %v\n%s", err, out)
		}
	}
}

// TestDeb builds the package with `make deb`, has lintian check it,
// installs it with dpkg, checks what it installed with the installed
// programs (otpgate serve --check, systemd-analyze verify, man), removes it
// and sees the store stay, and purges it. The machine is left as it was.
func TestDeb(t *testing.T) {
	for _, p := range []string{"make", "dpkg", "dpkg-deb", "lintian", "systemd-analyze", "man", "runuser", "deluser"} {
		testpeer.Need(t, p)
	}
	dist, bin := t.TempDir(), t.TempDir()
	mk := exec.Command("make", "-C", "..", "deb", "ARCHES=amd64", "DIST="+dist, "BIN="+bin)
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dist, "otpgate_*_amd64.deb"))
	if len(debs) != 1 {
		t.Fatalf("make deb left %q in %s; want one otpgate_VERSION_amd64.deb", debs, dist)
	}
	lint(t, debs[0])

	testpeer.Lock(t, "dpkg")
	before(t)
	out := root(t, "dpkg", "-i", debs[0])
	if !strings.Contains(out, "sudo -u otpgate otpgate enroll") {
		t.Errorf("dpkg -i does not say how to start:\n%s", out)
	}
	checkInstalled(t, filepath.Join(bin, "otpgate"))

	root(t, "dpkg", "-r", "otpgate")
	if _, err := os.Stat("/usr/bin/otpgate"); err == nil {
		t.Errorf("/usr/bin/otpgate is still there after dpkg -r")
	}
	for _, f := range []string{"/var/lib/otpgate/otpgate.db", "/var/lib/otpgate/master.key", "/etc/otpgate/otpgate.toml"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("dpkg -r removed %s: %v", f, err)
		}
	}
	out = root(t, "dpkg", "--purge", "otpgate")
	if !strings.Contains(out, "purge kept /var/lib/otpgate") {
		t.Errorf("dpkg --purge does not say what it keeps:\n%s", out)
	}
	if _, err := os.Stat("/etc/otpgate/otpgate.toml"); err == nil {
		t.Errorf("/etc/otpgate/otpgate.toml is still there after purge")
	}
	if _, err := os.Stat("/var/lib/otpgate/otpgate.db"); err != nil {
		t.Errorf("purge removed the store: %v", err)
	}
	if out, err := exec.Command("dpkg-statoverride", "--list", "/etc/otpgate/otpgate.toml").CombinedOutput(); err == nil {
		t.Errorf("purge left a statoverride: %s", out)
	}
}

// lint fails t on any lintian error (warnings and notes are logged).
func lint(t *testing.T, deb string) {
	out, err := exec.Command("lintian", "--fail-on", "error", deb).CombinedOutput()
	t.Logf("lintian:\n%s", out)
	if err != nil || strings.Contains("\n"+string(out), "\nE: ") {
		t.Errorf("lintian %s: %v\n%s", filepath.Base(deb), err, out)
	}
}

// checkInstalled checks the installed package: files and their owners,
// the binary's version, serve --check with the shipped configuration (as
// root and as the daemon's user), a store the daemon's user creates where
// the configuration says, the unit, the manual page and the completions.
func checkInstalled(t *testing.T, built string) {
	want, err := exec.Command(built, "version").Output()
	if got, err2 := exec.Command("/usr/bin/otpgate", "version").Output(); err != nil || err2 != nil || string(got) != string(want) || strings.Contains(string(got), "(devel)") {
		t.Errorf("/usr/bin/otpgate version = %q, %v; want %q, the release's", got, err2, want)
	}
	g, err := user.LookupGroup("otpgate")
	if err != nil {
		t.Fatalf("postinst made no group otpgate: %v", err)
	}
	u, err := user.Lookup("otpgate")
	if err != nil {
		t.Fatalf("postinst made no user otpgate: %v", err)
	}
	for _, f := range []struct {
		path     string
		mode     os.FileMode
		uid, gid string
	}{
		{"/etc/otpgate", 0o750 | os.ModeDir, "0", g.Gid},
		{"/etc/otpgate/otpgate.toml", 0o640, "0", g.Gid},
		{"/var/lib/otpgate", 0o700 | os.ModeDir, u.Uid, g.Gid},
		{"/var/log/otpgate", 0o750 | os.ModeDir, u.Uid, g.Gid},
		{"/usr/bin/otpgate", 0o755, "0", "0"},
	} {
		checkOwner(t, f.path, f.mode, f.uid, f.gid)
	}
	if out, err := exec.Command("/usr/bin/otpgate", "serve", "--check").CombinedOutput(); err != nil || !strings.Contains(string(out), "configuration is valid") {
		t.Errorf("otpgate serve --check with /etc/otpgate/otpgate.toml: %v\n%s", err, out)
	}
	asDaemon(t, "serve", "--check")
	asDaemon(t, "enroll", "alice")
	if out := asDaemon(t, "list"); !strings.Contains(out, "alice") {
		t.Errorf("otpgate list as otpgate = %q; want alice", out)
	}
	checkOwner(t, "/var/lib/otpgate/otpgate.db", 0o600, u.Uid, g.Gid)
	checkUnit(t)
	checkMan(t)
	for _, f := range []string{"/usr/share/bash-completion/completions/otpgate", "/usr/share/zsh/vendor-completions/_otpgate", "/usr/share/doc/otpgate/copyright"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the package lacks %s: %v", f, err)
		}
	}
}

// asDaemon runs the installed otpgate as the daemon's user, as the
// postinst tells the admin to (sudo -u otpgate), in a neutral directory.
func asDaemon(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "otpgate", "--", "/usr/bin/otpgate"}, args...)...)
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("otpgate %s as otpgate: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func checkOwner(t *testing.T, path string, mode os.FileMode, uid, gid string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode() != mode || strconv.Itoa(int(st.Uid)) != uid || strconv.Itoa(int(st.Gid)) != gid {
		t.Errorf("%s: %v %d:%d; want %v %s:%s", path, fi.Mode(), st.Uid, st.Gid, mode, uid, gid)
	}
}

// checkUnit: systemd parses the installed unit, finds its ExecStart and the
// man page its Documentation= names (systemd-analyze verify runs man).
func checkUnit(t *testing.T) {
	out, err := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/otpgate.service").CombinedOutput()
	if err != nil || strings.Contains(string(out), "otpgate.service") {
		t.Errorf("systemd-analyze verify otpgate.service: %v\n%s", err, out)
	}
}

// checkMan: man renders the installed page with no warning on its stderr
// (the page's own text may say "warning").
func checkMan(t *testing.T) {
	cmd := exec.Command("man", "--warnings", "-l", "/usr/share/man/man1/otpgate.1.gz")
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80", "LC_ALL=C.UTF-8")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "otpgate serve") || stderr.Len() > 0 {
		t.Errorf("man -l otpgate.1.gz: %v\n%s\n%.2000s", err, stderr.String(), out)
	}
}
