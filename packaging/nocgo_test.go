package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/pcsc/pcsctest"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// buildNoCgo builds cmd/otpgate with CGO_ENABLED=0, as the README and the
// release do, and checks what kind of ELF it is: dynamically linked
// against glibc's loader and libc only (docs/install.md).
func buildNoCgo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "otpgate")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/otpgate")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/otpgate: %v\n%s", err, out)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(bi.Settings, debug.BuildSetting{Key: "CGO_ENABLED", Value: "0"}) {
		t.Errorf("the binary's build settings %v lack CGO_ENABLED=0", bi.Settings)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	for _, l := range libs {
		if l != "libc.so.6" && l != "libdl.so.2" && l != "libpthread.so.0" {
			t.Errorf("the binary needs %s; want only glibc's libc, libdl and libpthread (docs/install.md)", l)
		}
	}
	if err != nil || len(libs) == 0 {
		t.Errorf("ImportedLibraries = %v, %v; want libc.so.6: without it the binary could not dlopen", libs, err)
	}
	return bin
}

// TestNoCgoPAM runs the CGO_ENABLED=0 binary as the daemon with a real
// pam_unix stack in /etc/pam.d on a local account, and radclient as the
// NAS: logins with the right and wrong password, and pamtester on the same
// service agrees with each verdict.
func TestNoCgoPAM(t *testing.T) {
	bin := buildNoCgo(t)
	user, password := testpeer.LocalUser(t)
	service := pamService(t, "auth required pam_unix.so nodelay\naccount required pam_unix.so\n")
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	if out, err := exec.Command(bin, "enroll", user, "--type", "hotp", "--rfc4226-test-key", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("otpgate enroll: %v\n%s", err, out)
	}
	const secret = "a-radius-secret-of-some-length"
	os.WriteFile(filepath.Join(dir, "nas.secret"), []byte(secret+"\n"), 0o600)
	conf := fmt.Sprintf("db = %q\n[log]\nformat = \"json\"\n[auth]\nprimary = \"pam:%s\"\n[http]\nlisten = \"off\"\n"+
		"[radius]\nlisten = \"127.0.0.1:0\"\n[[radius.client]]\nname = \"nas\"\naddress = \"127.0.0.1\"\nsecret_file = %q\nstyle = \"append\"\n",
		db, service, filepath.Join(dir, "nas.secret"))
	addr := startServe(t, bin, dir, conf)
	for _, c := range []struct {
		name, password, code, want string
	}{
		{"wrong password", password + "x", "755224", "Access-Reject"},
		{"right password", password, "755224", "Access-Accept"},
		{"replayed code", password, "755224", "Access-Reject"},
		{"next code", password, "287082", "Access-Accept"},
	} {
		if got := radclient(t, addr, secret, user, c.password+c.code); got != c.want {
			t.Errorf("%s: RADIUS login = %s; want %s", c.name, got, c.want)
		}
	}
	for pw, want := range map[string]bool{password: true, password + "x": false} {
		if got := pamtester(t, service, user, pw); got != want {
			t.Errorf("pamtester %s with password ok=%v: %v; want %v, as otpgate", service, pw == password, got, want)
		}
	}
}

// pamService installs stack as a new service in /etc/pam.d (pamtester
// reads no other directory) and removes it when t ends.
func pamService(t *testing.T, stack string) string {
	t.Helper()
	name := "otpgate-nocgo-" + strings.ToLower(rand.Text()[:10])
	path := filepath.Join("/etc/pam.d", name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("install a PAM service: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	f.WriteString(stack)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// startServe runs `otpgate serve` with conf until t ends and returns the
// RADIUS address from its ready line.
func startServe(t *testing.T, bin, dir, conf string) string {
	t.Helper()
	path := filepath.Join(dir, "otpgate.toml")
	os.WriteFile(path, []byte(conf), 0o600)
	cmd := exec.Command(bin, "serve", "--config", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var log strings.Builder
	for sc := bufio.NewScanner(stderr); sc.Scan(); {
		log.WriteString(sc.Text() + "\n")
		var line struct{ Msg, Radius string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "otpgate serve: ready" {
			go drain(sc)
			return line.Radius
		}
	}
	t.Fatalf("otpgate serve exited before it was ready:\n%s", log.String())
	return ""
}

func drain(sc *bufio.Scanner) {
	for sc.Scan() {
	}
}

// radclient sends one Access-Request and returns the reply's code.
func radclient(t *testing.T, addr, secret, user, password string) string {
	t.Helper()
	bin := testpeer.Need(t, "radclient")[0]
	cmd := exec.Command(bin, "-x", "-t", "5", "-r", "1", addr, "auth", secret)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("User-Name = %q, User-Password = %q, Message-Authenticator = 0x00\n", user, password))
	out, _ := cmd.CombinedOutput()
	for _, c := range []string{"Access-Accept", "Access-Reject", "Access-Challenge"} {
		if bytes.Contains(out, []byte("Received "+c)) {
			return c
		}
	}
	t.Fatalf("radclient got no answer:\n%s", out)
	return ""
}

// pamtester authenticates user through service with otpgate's flags and
// reports whether PAM said yes.
func pamtester(t *testing.T, service, user, password string) bool {
	t.Helper()
	bin := testpeer.Need(t, "pamtester")[0]
	cmd := exec.Command(bin, service, user, "authenticate(PAM_SILENT|PAM_DISALLOW_NULL_AUTHTOK)", "acct_mgmt(PAM_SILENT)")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("pamtester: %v\n%s", err, out)
	}
	return err == nil
}

// TestNoCgoYubiOATH: the CGO_ENABLED=0 binary reads a code from the YKOATH
// simulator through the real pcscd and vsmartcard-vpcd, behind an applet
// password, and it is the code package otp computes.
func TestNoCgoYubiOATH(t *testing.T) {
	bin := buildNoCgo(t)
	key := []byte("12345678901234567890")
	sim := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(sim)
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	p := otp.Params{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second}
	if _, err := s.Put(ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Algorithm: p.Algorithm, Digits: 6, Period: p.Period, Secret: key}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCode([]byte("yk pass")); err != nil {
		t.Fatal(err)
	}
	code := func() ([]byte, error) {
		cmd := exec.Command(bin, "code", "--token-mode", "yubioath", "--token-secret", "VPN:alice", "--time", "1111111111")
		cmd.Env = []string{"OTPGATE_YUBIKEY_PASSWORD=yk pass"}
		return cmd.CombinedOutput()
	}
	pcsctest.Start(t)
	pcsctest.Insert(t, sim, func() error { _, err := code(); return err })
	out, err := code()
	want := otp.Generate(key, p.Step(time.Unix(1111111111, 0)), p)
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Errorf("otpgate code --token-mode yubioath = %q, %v; want %s", out, err, want)
	}
}

// TestNoCgoMissingLibraries runs the CGO_ENABLED=0 binary in a mount
// namespace where libpam.so.0 or libpcsclite.so.1 is an empty file: the
// feature that needs it fails with one line naming the Debian package and
// exit 1; everything else works.
func TestNoCgoMissingLibraries(t *testing.T) {
	bin := buildNoCgo(t)
	testpeer.Need(t, "unshare", "mount")
	dir := t.TempDir()
	conf := filepath.Join(dir, "otpgate.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf("db = %q\n[auth]\nprimary = \"pam:other\"\n[http]\nlisten = \"off\"\n[radius]\nlisten = \"off\"\n",
		filepath.Join(dir, "otpgate.db"))), 0o600)
	totp := []string{"code", "--token-secret", "otpauth://totp/Demo:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "--time", "59"}
	for _, c := range []struct {
		lib, want string
		args      []string
	}{
		{"libpam.so.0", `PAM needs libpam.so.0 \(Debian package libpam0g\)`, []string{"serve", "--config", conf}},
		{"libpcsclite.so.1", `YubiKey OATH needs libpcsclite.so.1 \(Debian package libpcsclite1\)`, []string{"code", "--token-mode", "yubioath"}},
	} {
		out, code := withoutLib(t, c.lib, bin, c.args...)
		errLines := regexp.MustCompile(`(?m)^otpgate: error: .*$`).FindAllString(out, -1)
		if code != 1 || len(errLines) != 1 || !regexp.MustCompile(c.want).MatchString(errLines[0]) {
			t.Errorf("without %s: otpgate %s = exit %d\n%s\nwant exit 1 and one error line matching %q", c.lib, c.args[0], code, out, c.want)
		}
		if out, code := withoutLib(t, c.lib, bin, totp...); code != 0 || strings.TrimSpace(out) != "287082" {
			t.Errorf("without %s: otpgate code --token-secret otpauth://... = exit %d, %q; want 287082", c.lib, code, out)
		}
	}
}

// withoutLib runs bin in a private mount namespace with /dev/null mounted
// over the file soname resolves to, so dlopen fails as on a machine
// without it, and returns the combined output and exit status.
func withoutLib(t *testing.T, soname, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command("ldconfig", "-p").Output()
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(soname) + ` \(libc6[^)]*\) => (\S+)$`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("ldconfig -p does not list %s (%v)", soname, err)
	}
	script := `mount --bind /dev/null "$1" && shift && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", string(m[1]), bin}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + t.TempDir()}
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("unshare: %v\n%s", err, b)
	}
	return string(b), cmd.ProcessState.ExitCode()
}
