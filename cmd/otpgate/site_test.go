package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oneErrorLine fails t unless r is exit code with one "otpgate: error:"
// line on stderr (and at most a hint), and no Go panic.
func oneErrorLine(t *testing.T, what string, r result, code int, want string) {
	t.Helper()
	if r.code != code || !strings.HasPrefix(r.stderr, "otpgate: error: ") || !strings.Contains(r.stderr, want) ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 || strings.Contains(r.stderr, "goroutine") {
		t.Errorf("%s = %d, stderr %q; want exit %d and one error line containing %q", what, r.code, r.stderr, code, want)
	}
}

func writeMode(t *testing.T, path, text string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// A store that cannot be opened is one error line and exit 1, never a
// panic: the same for serve, the admin commands and the hooks' opening.
func TestServeStoreCannotOpen(t *testing.T) {
	dir := t.TempDir()
	corrupt := writeMode(t, filepath.Join(dir, "corrupt.db"), "SQLite format 3\x00"+strings.Repeat("\xff", 4096), 0o600)
	text := writeMode(t, filepath.Join(dir, "text.db"), "this is not a database\n", 0o600)
	empty := writeMode(t, filepath.Join(dir, "empty.db"), "", 0o600)
	adir := filepath.Join(dir, "a-directory.db")
	os.Mkdir(adir, 0o700)
	for _, tt := range []struct{ name, db, want string }{
		{"corrupted file", corrupt, corrupt},
		{"not a SQLite file", text, text},
		{"0-byte file", empty, "is empty"},
		{"a directory", adir, adir},
		{"unreachable PostgreSQL", "postgres://otpgate@127.0.0.1:1/otpgate?connect_timeout=2", "127.0.0.1:1"},
		{"bad URL", "postgres://otpgate:pw@[::1/otpgate", "URL"},
	} {
		r := otpgate(t, "", nil, "serve", "--db", tt.db, "--radius-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
		oneErrorLine(t, "serve with "+tt.name, r, 1, tt.want)
		if tt.name == "bad URL" && strings.Contains(r.stderr, "pw") {
			t.Errorf("serve with a bad URL printed its password: %q", r.stderr)
		}
		r = otpgate(t, "", nil, "list", "--db", tt.db)
		oneErrorLine(t, "list with "+tt.name, r, 1, tt.want)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the 0-byte file was changed: %v %v", fi, err)
	}
	r := otpgate(t, "", nil, "enroll", "alice", "--db", empty)
	oneErrorLine(t, "enroll into a 0-byte file", r, 1, "is empty")
}

// serve never makes a master key for a store whose tokens are sealed under
// another: it refuses to start, and creates nothing.
func TestServeRefusesNewKeyBesideTokens(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--db", db)
	missing := filepath.Join(dir, "keys", "other.key")
	os.Mkdir(filepath.Dir(missing), 0o700)
	conf := writeMode(t, filepath.Join(dir, "otpgate.toml"), fmt.Sprintf("db = %q\nkey_file = %q\n", db, missing), 0o600)
	r := serveProcess(t, "--config", conf)
	oneErrorLine(t, "serve with a missing key beside tokens", r, 1, "holds tokens")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("serve created %s: %v", missing, err)
	}
	r = otpgate(t, "", nil, "serve", "--check", "--config", conf)
	oneErrorLine(t, "serve --check with a missing key beside tokens", r, 1, "holds tokens")
	// The key of another site opens none of the secrets.
	other := filepath.Join(t.TempDir(), "other.db")
	mustRun(t, "", "enroll", "bob", "--type", "hotp", "--db", other)
	writeMode(t, conf, fmt.Sprintf("db = %q\nkey_file = %q\n", db, filepath.Join(filepath.Dir(other), "master.key")), 0o600)
	r = serveProcess(t, "--config", conf)
	oneErrorLine(t, "serve with another site's key", r, 1, "does not open")
}

// serveProcess runs otpgate serve on loopback ports in its own process and
// returns how it ended; one that is still running after 20 s started, and
// is killed and reported as exit -1.
func serveProcess(t *testing.T, args ...string) result {
	t.Helper()
	cmd := otpgateCmd(append([]string{"serve", "--radius-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		return result{-1, out.String(), errb.String()}
	}
}

// A mistyped --db on enroll says what it created.
func TestEnrollSaysWhatItCreated(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "typo", "otpgate.db")
	r := mustRun(t, "", "enroll", "alice", "--db", db)
	for _, want := range []string{"created directory " + filepath.Dir(db), "created database " + db, "created master key " + filepath.Join(filepath.Dir(db), "master.key")} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("enroll into a new store: stderr %q; want %q", r.stderr, want)
		}
	}
	if r := mustRun(t, "", "enroll", "bob", "--db", db); strings.Contains(r.stderr, "created") {
		t.Errorf("enroll into the existing store: stderr %q; want no creation", r.stderr)
	}
}

// serve --check opens what serve would open, creating nothing, and says
// what would stop serve.
func TestServeCheckOpensEverything(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--db", db)
	secret := writeMode(t, filepath.Join(dir, "vpn.secret"), "a-long-enough-shared-secret-1234\n", 0o600)
	short := writeMode(t, filepath.Join(dir, "short.secret"), "short\n", 0o600)
	md5 := writeMode(t, filepath.Join(dir, "md5.htpasswd"), "alice:$apr1$abc$0123456789abcdefghijkl\n", 0o600)
	client := func(secretFile string) string {
		return fmt.Sprintf("[[radius.client]]\naddress = \"127.0.0.1\"\nsecret_file = %q\n", secretFile)
	}
	base := fmt.Sprintf("db = %q\n", db)
	for _, tt := range []struct {
		name, text string
		code       int
		want       string
	}{
		{"valid", base + client(secret), 0, ""},
		{"missing secret_file", base + client(filepath.Join(dir, "none.secret")), 1, "none.secret"},
		{"missing htpasswd", base + "[auth]\nprimary = \"htpasswd:" + filepath.Join(dir, "none.htpasswd") + "\"\n", 1, "none.htpasswd"},
		{"non-bcrypt htpasswd", base + "[auth]\nprimary = \"htpasswd:" + md5 + "\"\n", 1, "not bcrypt"},
		{"missing audit directory", base + "[log]\naudit_file = \"" + filepath.Join(dir, "no", "audit.jsonl") + "\"\n", 1, "audit_file"},
		{"missing token_key_file", base + "[openvpn]\nmanagement = \"127.0.0.1:7505\"\ntoken_key_file = \"" + filepath.Join(dir, "none.key") + "\"\n", 1, "token_key_file"},
		{"short RADIUS secret", base + client(short), 0, "warning"},
	} {
		conf := writeMode(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".toml"), tt.text, 0o600)
		r := otpgate(t, "", nil, "serve", "--check", "--config", conf)
		if tt.code != 0 {
			oneErrorLine(t, "serve --check with "+tt.name, r, tt.code, tt.want)
			continue
		}
		if r.code != 0 || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stdout, "configuration is valid") {
			t.Errorf("serve --check with %s = %d, %q %q; want 0 and %q", tt.name, r.code, r.stdout, r.stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Errorf("serve --check created the audit directory: %v", err)
	}
	fresh := filepath.Join(dir, "fresh", "otpgate.db")
	conf := writeMode(t, filepath.Join(dir, "fresh.toml"), fmt.Sprintf("db = %q\n", fresh), 0o600)
	if r := otpgate(t, "", nil, "serve", "--check", "--config", conf); r.code != 0 {
		t.Errorf("serve --check on a fresh site = %d, %q; want 0", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Dir(fresh)); !os.IsNotExist(err) {
		t.Errorf("serve --check created the fresh site's directory: %v", err)
	}
}
