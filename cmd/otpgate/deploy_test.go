package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestDeployConfig: the example configuration in deploy/ is valid.
func TestDeployConfig(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../deploy/otpgate.toml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "otpgate.toml")
	os.WriteFile(p, b, 0o600)
	if r := otpgate(t, "", nil, "serve", "--check", "--config", p); r.code != 0 {
		t.Errorf("serve --check deploy/otpgate.toml = %d, %q", r.code, r.stderr)
	}
}

// TestDeployUnit has systemd parse the unit file; systemd-analyze exits 0
// even for a bad setting, so its output must not mention the unit.
func TestDeployUnit(t *testing.T) {
	analyze := testpeer.Need(t, "systemd-analyze")[0]
	b, err := os.ReadFile("../../deploy/otpgate.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "otpgate.service")
	// ExecStart must name an executable that exists here.
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/bin/otpgate", os.Args[0])), 0o644)
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "otpgate.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
