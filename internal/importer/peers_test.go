package importer

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// recordCode returns the code of r at HOTP counter c, or for TOTP at time
// now, computed by package otp and by oathtool, failing t if they differ.
func recordCode(t *testing.T, r *Record, c uint64, now time.Time) string {
	t.Helper()
	p := otp.Params{Algorithm: r.Algorithm, Digits: r.Digits, Period: time.Duration(r.Period) * time.Second}
	args := []string{"-d", fmt.Sprint(r.Digits)}
	if r.Type == TypeTOTP {
		c = p.Step(now)
		args = append(args, "--totp="+r.Algorithm.String(), "-s", fmt.Sprintf("%ds", r.Period), "-N", fmt.Sprintf("@%d", now.Unix()))
	} else {
		args = append(args, "-c", fmt.Sprint(c))
	}
	want := otp.Generate(r.Secret, c, p)
	if got := oathtool(t, hex.EncodeToString(r.Secret), args...); got != want {
		t.Fatalf("oathtool %v = %s; package otp gives %s", args, got, want)
	}
	return want
}

// oathtool runs oathtool with key (hex, or base32 with -b) on standard
// input, where other users cannot see it.
func oathtool(t *testing.T, key string, args ...string) string {
	t.Helper()
	path := testpeer.Need(t, "oathtool")[0]
	cmd := exec.Command(path, append(args, "-")...)
	cmd.Stdin = strings.NewReader(key + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// pamService creates a PAM service that authenticates with pam_oath
// against usersfile, and removes it when the test ends. Creating it needs
// root, as installing pam_oath does.
func pamService(t *testing.T, usersfile string, args string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the pam_oath test writes a service to /etc/pam.d and must run as root (as `make test` does in CI)")
	}
	var b [6]byte
	rand.Read(b[:])
	name := "otpgate-test-" + hex.EncodeToString(b[:])
	conf := fmt.Sprintf("auth requisite pam_oath.so usersfile=%s window=20 %s\naccount required pam_permit.so\n", usersfile, args)
	path := filepath.Join("/etc/pam.d", name)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatalf("create PAM service: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// pamLogin runs pamtester, answering pam_oath's prompt with input, and
// reports whether authentication succeeded.
func pamLogin(t *testing.T, service, user, input string) bool {
	t.Helper()
	path := testpeer.Need(t, "pamtester")[0]
	cmd := exec.Command(path, service, user, "authenticate")
	cmd.Stdin = strings.NewReader(input + "\n")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("pamtester: %v", err)
	}
	if err == nil != strings.Contains(string(out), "successfully authenticated") {
		t.Fatalf("pamtester exit status and output disagree: %v: %s", err, out)
	}
	return err == nil
}
