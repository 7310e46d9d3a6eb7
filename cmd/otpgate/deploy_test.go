package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestDeployConfig: the example configuration in deploy/ is valid, with
// its directories (which the package and the unit create) in a temporary
// one; packaging's TestDeb checks it where the package installs it.
func TestDeployConfig(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../deploy/otpgate.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"lib", "log"} {
		os.Mkdir(filepath.Join(dir, d), 0o700)
	}
	b = []byte(strings.NewReplacer("/var/lib/otpgate/", dir+"/lib/", "/var/log/otpgate/", dir+"/log/").Replace(string(b)))
	p := filepath.Join(dir, "otpgate.toml")
	os.WriteFile(p, b, 0o600)
	if r := otpgate(t, "", nil, "serve", "--check", "--config", p); r.code != 0 {
		t.Errorf("serve --check deploy/otpgate.toml = %d, %q", r.code, r.stderr)
	}
}

// unitSettings reads the [Service] settings of a unit file; a setting
// given twice keeps both values, space-separated.
func unitSettings(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := map[string]string{}
	section := ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = line
		}
		if k, v, ok := strings.Cut(line, "="); ok && section == "[Service]" && !strings.HasPrefix(line, "#") {
			s[k] = strings.TrimSpace(s[k] + " " + v)
		}
	}
	return s
}

// TestDeployPair: the shipped configuration works under the shipped unit.
// The unit runs as otpgate, so every path the daemon writes must be one
// systemd makes the user's under a read-only file system: the store and
// master key in StateDirectory=, log.audit_file in LogsDirectory=.
func TestDeployPair(t *testing.T) {
	c, err := config.Load("../../deploy/otpgate.toml")
	if err != nil {
		t.Fatal(err)
	}
	u := unitSettings(t, "../../deploy/otpgate.service")
	if u["User"] != "otpgate" || u["ProtectSystem"] != "strict" || !strings.Contains(u["ExecStart"], "--config /etc/otpgate/otpgate.toml") {
		t.Fatalf("unit: User=%q ProtectSystem=%q ExecStart=%q; want otpgate, strict, the shipped config", u["User"], u["ProtectSystem"], u["ExecStart"])
	}
	for _, w := range []struct{ what, path, dir string }{
		{"db", c.DB, "/var/lib/" + u["StateDirectory"]},
		{"key_file", c.KeyFile, "/var/lib/" + u["StateDirectory"]},
		{"log.audit_file", c.Log.AuditFile, "/var/log/" + u["LogsDirectory"]},
	} {
		if filepath.Dir(w.path) != w.dir {
			t.Errorf("%s = %q; want a file in %s, which the unit makes writable", w.what, w.path, w.dir)
		}
	}
}

// TestDeployUnit has systemd parse the unit file (systemd-analyze exits 0
// even for a bad setting, so its output must not mention the unit) and
// rate its sandbox: `systemd-analyze security` must call it OK or SAFE.
// The man page of Documentation= is checked where the package installs it
// (packaging's test).
func TestDeployUnit(t *testing.T) {
	analyze := testpeer.Need(t, "systemd-analyze")[0]
	b, err := os.ReadFile("../../deploy/otpgate.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "otpgate.service")
	// ExecStart must name an executable that exists here.
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/bin/otpgate", os.Args[0])), 0o644)
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "otpgate.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for otpgate.service: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if err != nil || m == nil || (string(m[2]) != "OK" && string(m[2]) != "SAFE") {
		t.Errorf("systemd-analyze security: %v; want an OK or SAFE exposure level\n%s", err, out)
	} else {
		t.Logf("systemd-analyze security: %s %s", m[1], m[2])
	}
}
