//go:build linux

package e2e

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
)

// pamService installs /etc/pam.d/NAME (PAM reads services from there
// only) whose auth step runs a script that accepts alice with password
// "secret", through pam_exec's expose_authtok; it is removed when t ends.
func pamService(t *testing.T, dir string) string {
	t.Helper()
	check := filepath.Join(dir, "pam-check.sh")
	script := "#!/bin/sh\npw=$(cat)\n[ \"$PAM_USER\" = alice ] && [ \"$pw\" = secret ]\n"
	if err := os.WriteFile(check, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	name := "otpgate-e2e-" + strings.ToLower(rand.Text()[:10])
	path := filepath.Join("/etc/pam.d", name)
	stack := "auth required pam_exec.so expose_authtok quiet " + check + "\naccount required pam_permit.so\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("install PAM service: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	if _, err := f.WriteString(stack); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestProductPAM: `otpgate openvpn verify` with `setenv otpgatePrimary
// pam:SERVICE` checks the password through the PAM stack, then the code.
func TestProductPAM(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	svc := pamService(t, l.dir)
	scripts := p.scripts(openvpn.StyleAppend)
	for i, s := range scripts {
		if strings.HasPrefix(s, "setenv otpgatePrimary ") {
			scripts[i] = "setenv otpgatePrimary pam:" + svc
		}
	}
	l.startServer(scripts...)
	code := p.code(0)
	l.wantRefused(l.fileClient("badpassword", "alice", "terces"+code))
	l.wantConnected(l.fileClient("valid", "alice", "secret"+code))
	l.wantRefused(l.fileClient("replayed", "alice", "secret"+code))
	l.wantRefused(l.fileClient("wrong", "alice", "secret"+wrong(p.code(1))))
}
