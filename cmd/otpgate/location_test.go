package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/site"
)

// The admin commands find the daemon's store through its configuration
// file, with its master key file and its policy, as otpgate serve does.
func TestAdminUsesTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	db, key := filepath.Join(dir, "srv", "otpgate.db"), filepath.Join(dir, "keys", "master.key")
	for _, d := range []string{filepath.Dir(db), filepath.Dir(key)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "otpgate.toml")
	text := "db = \"" + db + "\"\nkey_file = \"" + key + "\"\n[policy]\nhotp_window = 2\nmax_failures = 0\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	mustRun(t, "", "enroll", "alice", "--rfc4226-test-key", "--type", "hotp", "--config", conf)
	for _, p := range []string{db, key} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("enroll --config did not create %s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(db), "master.key")); err == nil {
		t.Errorf("enroll --config made a master key beside the database; want only key_file")
	}

	// $OTPGATE_CONFIG names the same file.
	r := otpgate(t, "", map[string]string{site.EnvConfig: conf}, "list")
	if r.code != 0 || !strings.Contains(r.stdout, "alice") {
		t.Fatalf("OTPGATE_CONFIG=... otpgate list = %d %q %q; want alice", r.code, r.stdout, r.stderr)
	}
	// The file's policy: a window of 2 refuses counter 3 (the default 10
	// would take it), and max_failures = 0 locks at that first failure.
	if r := otpgate(t, hotpCodes[3]+"\n", nil, "verify", "alice", "-", "--config", conf); r.code != 1 {
		t.Errorf("verify of counter 3 with hotp_window = 2 = %d, %q; want 1 (refused)", r.code, r.stderr)
	}
	if r := mustRun(t, "", "show", "alice", "--config", conf); !strings.Contains(r.stdout, "locked:        until ") {
		t.Errorf("show after one failure with max_failures = 0:\n%s\nwant the token locked", r.stdout)
	}

	// --db wins over the file's db.
	if r := otpgate(t, "", nil, "list", "--config", conf, "--db", filepath.Join(dir, "other.db")); r.code != 1 || !strings.Contains(r.stderr, "no database") {
		t.Errorf("list --config FILE --db OTHER = %d, %q; want the other, missing, database", r.code, r.stderr)
	}

	for name, tt := range map[string]struct {
		text string
		mode os.FileMode
		want string
	}{
		"unknown key":    {"db = \"" + db + "\"\ndatabase = \"x\"\n", 0o600, `unknown key "database"`},
		"bad value":      {"[policy]\nhotp_window = 0\n", 0o600, "policy.hotp_window = 0 is out of range"},
		"group-writable": {"db = \"" + db + "\"\n", 0o620, "writable by group or others"},
	} {
		bad := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".toml")
		os.WriteFile(bad, []byte(tt.text), tt.mode)
		os.Chmod(bad, tt.mode)
		r := otpgate(t, "", nil, "list", "--config", bad)
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("%s: list --config = %d, %q; want one error line containing %q", name, r.code, r.stderr, tt.want)
		}
	}
	if r := otpgate(t, "", nil, "list", "--config", filepath.Join(dir, "missing.toml")); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("list --config MISSING = %d, %q; want no such file", r.code, r.stderr)
	}
}
