package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

var rfcKey4226 = []byte("12345678901234567890")

// hotpCode is the RFC 4226 test key's 6-digit HOTP code at counter c.
func hotpCode(c uint64) string { return otp.Generate(rfcKey4226, c, otp.DefaultParams()) }

// exportFixture enrolls alice (HOTP, codes 0 and 1 used: next counter 2) and
// bob (TOTP, SHA-1, 30 s) with the RFC 4226 key, and returns the database.
func exportFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	mustRun(t, "", "enroll", "bob", "--rfc4226-test-key", "--db", db)
	mustRun(t, hotpCode(0), "verify", "alice", "-", "--db", db)
	mustRun(t, hotpCode(1), "verify", "alice", "-", "--db", db)
	return db
}

// exportTo runs otpgate export with args into a new file and returns it,
// checking its mode.
func exportTo(t *testing.T, db string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	r := mustRun(t, "", append([]string{"export", "--db", db, "--out", out}, args...)...)
	if r.stdout != "" || !strings.Contains(r.stderr, "exported 2 tokens to "+out) {
		t.Errorf("export %q: stdout %q, stderr %q", args, r.stdout, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export %q wrote mode %v (%v); want 0600", args, fi.Mode(), err)
	}
	return out
}

// Every format re-imports into tokens that accept what the originals would
// accept: alice's next HOTP code and not her used one, bob's TOTP code.
func TestExportImportRoundTrip(t *testing.T) {
	db := exportFixture(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "psk.hex")
	os.WriteFile(keyFile, []byte("000102030405060708090a0b0c0d0e0f\n"), 0o600)
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("correct horse\n"), 0o600)
	tests := []struct {
		name      string
		args, imp []string
	}{
		{"users-file", []string{"--format", "users-file"}, []string{"--format", "users-file"}},
		{"otpauth", []string{"--format", "otpauth"}, []string{"--format", "otpauth"}},
		{"pskc-key", []string{"--format", "pskc", "--key-file", keyFile}, []string{"--format", "pskc", "--pskc-key-file", keyFile}},
		{"pskc-password", []string{"--format", "pskc", "--password-file", pwFile}, []string{"--format", "pskc", "--pskc-password-file", pwFile}},
		{"pskc-plain", []string{"--format", "pskc", "--insecure-plaintext"}, []string{"--format", "pskc"}},
	}
	step1 := otp.Generate(rfcKey4226, 1, otp.DefaultParams()) // the test clock is Unix 59
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := exportTo(t, db, tt.args...)
			db2 := filepath.Join(t.TempDir(), "copy.db")
			mustRun(t, "", append(append([]string{"import", "--db", db2}, tt.imp...), file)...)
			if r := otpgate(t, hotpCode(1), nil, "verify", "alice", "-", "--db", db2); r.code != 1 {
				t.Errorf("the copy accepted alice's used HOTP code 1: %+v", r)
			}
			if r := otpgate(t, hotpCode(2), nil, "verify", "alice", "-", "--db", db2); r.code != 0 {
				t.Errorf("the copy refused alice's next HOTP code 2: %+v", r)
			}
			if r := otpgate(t, step1, nil, "verify", "bob", "-", "--db", db2); r.code != 0 {
				t.Errorf("the copy refused bob's TOTP code: %+v", r)
			}
		})
	}
}

// The exported users file logs in through Debian's pam_oath with codes
// from oathtool, and pam_oath refuses the code otpgate had already used.
func TestExportUsersFilePAMOath(t *testing.T) {
	db := exportFixture(t)
	mustRun(t, "", "enroll", "carol", "--type", "hotp", "--digits", "8", "--counter", "7", "--rfc4226-test-key", "--db", db)
	out := filepath.Join(t.TempDir(), "users.oath")
	mustRun(t, "", "export", "--format", "users-file", "--out", out, "--db", db)
	service := exportPAMService(t, out)
	oath := testpeer.Need(t, "oathtool")[0]
	code := func(args ...string) string {
		t.Helper()
		b, err := exec.Command(oath, append(args, rfcKeyHex)...).Output()
		if err != nil {
			t.Fatalf("oathtool %q: %v", args, err)
		}
		return strings.TrimSpace(string(b))
	}
	if exportPAMLogin(t, service, "alice", code("--hotp", "-c", "1")) {
		t.Errorf("pam_oath accepted alice's HOTP code 1, which otpgate had used")
	}
	if !exportPAMLogin(t, service, "alice", code("--hotp", "-c", "2")) {
		t.Errorf("pam_oath refused alice's next HOTP code 2")
	}
	if !exportPAMLogin(t, service, "carol", code("--hotp", "-d", "8", "-c", "7")) {
		t.Errorf("pam_oath refused carol's 8-digit HOTP code at counter 7")
	}
	if !exportPAMLogin(t, service, "bob", code("--totp")) {
		t.Errorf("pam_oath refused bob's current TOTP code")
	}
}

// exportPAMService writes a PAM service using pam_oath with usersfile to
// /etc/pam.d (pamtester reads no other directory), removed when t ends.
func exportPAMService(t *testing.T, usersfile string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the pam_oath test writes a service to /etc/pam.d and must run as root")
	}
	name := "otpgate-export-test-" + strings.ToLower(rand.Text()[:10])
	conf := fmt.Sprintf("auth requisite pam_oath.so usersfile=%s window=20\naccount required pam_permit.so\n", usersfile)
	path := filepath.Join("/etc/pam.d", name)
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatalf("create PAM service: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

func exportPAMLogin(t *testing.T, service, user, code string) bool {
	t.Helper()
	cmd := exec.Command(testpeer.Need(t, "pamtester")[0], service, user, "authenticate")
	cmd.Stdin = strings.NewReader(code + "\n")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("pamtester: %v", err)
	}
	return err == nil && strings.Contains(string(out), "successfully authenticated")
}

// pskcDump is Debian's python3-pskc decrypting a file and listing its keys.
const pskcDump = `
import json, sys, pskc
p = pskc.PSKC(sys.argv[1])
if sys.argv[2] == "key":
    p.encryption.key = bytes.fromhex(sys.argv[3])
elif sys.argv[2] == "password":
    p.encryption.derive_key(sys.argv[3])
print(json.dumps([{"user": k.key_userid, "secret": k.secret.hex(), "algorithm": k.algorithm,
    "counter": k.counter, "interval": k.time_interval, "digits": k.response_length,
    } for k in p.keys]))
`

// The encrypted PSKC export decrypts with python3-pskc to the same secrets
// and alice's next counter.
func TestExportPSKCPython(t *testing.T) {
	py := testpeer.Python(t, "pskc")
	db := exportFixture(t)
	dir := t.TempDir()
	const keyHex = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
	keyFile := filepath.Join(dir, "psk.hex")
	os.WriteFile(keyFile, []byte(keyHex), 0o600)
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("s3cret pass"), 0o600)
	for _, tt := range [][]string{
		{"--key-file", keyFile, "key", keyHex},
		{"--password-file", pwFile, "password", "s3cret pass"},
	} {
		file := exportTo(t, db, "--format", "pskc", tt[0], tt[1])
		if data, _ := os.ReadFile(file); !strings.Contains(string(data), "EncryptedValue") || strings.Contains(string(data), hex.EncodeToString(rfcKey4226)) ||
			strings.Contains(string(data), "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA") {
			t.Errorf("the %s-encrypted PSKC file holds the plain secret", tt[2])
		}
		out, err := exec.Command(py, "-c", pskcDump, file, tt[2], tt[3]).CombinedOutput()
		if err != nil {
			t.Fatalf("python3-pskc on our %s-encrypted export: %v: %s", tt[2], err, out)
		}
		var keys []struct {
			User, Secret, Algorithm string
			Counter, Interval       *int
			Digits                  int
		}
		if err := json.Unmarshal(out, &keys); err != nil || len(keys) != 2 {
			t.Fatalf("python3-pskc read %s (%v); want 2 keys", out, err)
		}
		a, b := keys[0], keys[1]
		if a.User != "alice" || !strings.HasSuffix(a.Algorithm, "hotp") || a.Counter == nil || *a.Counter != 2 ||
			b.User != "bob" || !strings.HasSuffix(b.Algorithm, "totp") || b.Interval == nil || *b.Interval != 30 ||
			a.Secret != hex.EncodeToString(rfcKey4226) || b.Secret != a.Secret || a.Digits != 6 {
			t.Errorf("python3-pskc read %s; want alice HOTP next counter 2, bob TOTP 30 s, the RFC key", out)
		}
	}
}

func TestExportErrors(t *testing.T) {
	db := exportFixture(t)
	mustRun(t, "", "enroll", "yuri", "--type", "yubico", "--db", db)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	os.WriteFile(existing, []byte("keep me\n"), 0o600)
	fresh := filepath.Join(dir, "fresh")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--format", "csv", "--out", fresh}, 2, `unknown export format "csv"`},
		{[]string{"--out", fresh}, 2, "give --format"},
		{[]string{"--format", "users-file"}, 2, "give --out FILE"},
		{[]string{"--format", "users-file", "--out", existing}, 1, "exists; not overwriting it"},
		{[]string{"--format", "pskc", "--out", fresh}, 2, "give --key-file or --password-file"},
		{[]string{"--format", "otpauth", "--key-file", existing, "--out", fresh}, 2, "apply to --format pskc only"},
		{[]string{"--format", "pskc", "--key-file", existing, "--out", fresh}, 1, "does not hold a hex key"},
		{[]string{"--format", "users-file", "--out", fresh}, 1, `user "yuri" token`},
		{[]string{"--format", "users-file", "--user", "nobody", "--out", fresh}, 1, `no such user "nobody"`},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, append([]string{"export", "--db", db}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(firstLine(r.stderr), tt.msg) || strings.Count(r.stderr, "error:") != 1 {
			t.Errorf("export %q = %d, %q; want %d and one error line with %q", tt.args, r.code, r.stderr, tt.code, tt.msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed exports left files behind: %v", entries)
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep me\n" {
		t.Errorf("the existing file was changed: %q", data)
	}
	e, _, errb := testEnv("", nil)
	e.stdoutTerminal = true
	if code := run([]string{"export", "--format", "otpauth", "--out", "-", "--db", db}, e); code != 2 || !strings.Contains(errb.String(), "refusing to write secrets to the terminal") {
		t.Errorf("export --out - to a terminal = %d, %q; want 2 and a refusal", code, errb.String())
	}
	if r := otpgate(t, "", nil, "audit", "--json", "--db", db); strings.Contains(r.stdout, `"export"`) {
		t.Errorf("failed exports were audited:\n%s", r.stdout)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// --skip-unsupported leaves the Yubico token out and says so; --out - writes
// to a non-terminal standard output; --force replaces a file.
func TestExportSkipStdoutForce(t *testing.T) {
	db := exportFixture(t)
	mustRun(t, "", "enroll", "yuri", "--type", "yubico", "--db", db)
	r := mustRun(t, "", "export", "--format", "otpauth", "--skip-unsupported", "--out", "-", "--db", db)
	if !strings.Contains(r.stderr, `otpgate: warning: left out token`) || !strings.Contains(r.stderr, `user "yuri"`) ||
		strings.Count(r.stdout, "otpauth://") != 2 || !strings.Contains(r.stdout, "otpauth://hotp/otpgate:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") ||
		!strings.Contains(r.stdout, "&counter=2") {
		t.Errorf("export --skip-unsupported --out -: %+v", r)
	}
	out := filepath.Join(t.TempDir(), "users.oath")
	os.WriteFile(out, []byte("old\n"), 0o644)
	mustRun(t, "", "export", "--format", "users-file", "--user", "alice", "--force", "--out", out, "--db", db)
	data, _ := os.ReadFile(out)
	fi, _ := os.Stat(out)
	if string(data) != "HOTP/E/6\talice\t-\t"+rfcKeyHex+"\t2\n" || fi.Mode().Perm() != 0o600 {
		t.Errorf("export --force --user alice wrote %q mode %v; want alice's line at counter 2, 0600", data, fi.Mode())
	}
	r = mustRun(t, "", "audit", "--json", "--user", "alice", "--db", db)
	if n := strings.Count(r.stdout, `"action":"export"`); n != 2 {
		t.Errorf("alice's audit trail has %d export events; want 2 (one per export):\n%s", n, r.stdout)
	}
}
