package main

import (
	"bytes"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

const rfcKeyHex = "3132333435363738393031323334353637383930"

// adminDB returns a --db flag for a new database in a temporary directory.
func adminDB(t *testing.T) (string, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "otpgate.db")
	return "--db", db
}

func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := otpgate(t, stdin, nil, args...)
	if r.code != 0 {
		t.Fatalf("otpgate %q = %d, stderr %q", args, r.code, r.stderr)
	}
	return r
}

func TestEnrollVerifyReplay(t *testing.T) {
	f, db := adminDB(t)
	r := mustRun(t, "", "enroll", "alice", "--rfc4226-test-key", f, db)
	want := "otpauth://totp/otpgate:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=otpgate&algorithm=SHA1&digits=6&period=30"
	if !strings.Contains(r.stdout, "uri:        "+want+"\n") || !strings.Contains(r.stdout, "secret:     GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n") {
		t.Errorf("enroll stdout %q; want the URI %q", r.stdout, want)
	}
	// The test clock is Unix 59: TOTP step 1.
	code := otp.Generate([]byte("12345678901234567890"), 1, otp.DefaultParams())
	oath := testpeer.Need(t, "oathtool")[0]
	out, err := exec.Command(oath, "--totp", "-N", "@59", rfcKeyHex).Output()
	if err != nil || strings.TrimSpace(string(out)) != code {
		t.Fatalf("oathtool = %q, %v; want %s", out, err, code)
	}
	if r := mustRun(t, "", "test", "alice", f, db); r.stdout != code+"\n" {
		t.Errorf("test alice = %q; want oathtool's %q", r.stdout, code)
	}
	mustRun(t, code+"\n", "verify", "alice", "-", f, db)
	r = otpgate(t, "", nil, "verify", "alice", code, f, db)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "otpgate: error: code refused\n") {
		t.Errorf("replayed verify = %d, %q; want 1 and code refused", r.code, r.stderr)
	}
}

func TestListShowJSON(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "bob", "--type", "hotp", "--digits", "8", "--algorithm", "SHA256", "--comment", "desk", f, db)
	r := mustRun(t, "", "list", "--json", f, db)
	var list []struct {
		User   string
		Tokens []map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0].User != "bob" || len(list[0].Tokens) != 1 {
		t.Fatalf("list --json = %q (%v)", r.stdout, err)
	}
	for _, k := range []string{"id", "type", "enabled", "locked", "last_success"} {
		if _, ok := list[0].Tokens[0][k]; !ok {
			t.Errorf("list --json token lacks %q: %v", k, list[0].Tokens[0])
		}
	}
	r = mustRun(t, "", "show", "bob", "--json", f, db)
	var show []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil || len(show) != 1 {
		t.Fatalf("show --json = %q (%v)", r.stdout, err)
	}
	tok := show[0]
	if tok["type"] != "hotp" || tok["digits"] != 8.0 || tok["algorithm"] != "SHA256" || tok["comment"] != "desk" || tok["enabled"] != true {
		t.Errorf("show --json = %v", tok)
	}
	for _, k := range []string{"next", "drift", "failures", "locked_until", "last_check", "last_success", "configured", "created", "sequence"} {
		if _, ok := tok[k]; !ok {
			t.Errorf("show --json lacks %q", k)
		}
	}
}

func TestShowHidesSecret(t *testing.T) {
	f, db := adminDB(t)
	r := mustRun(t, "", "enroll", "carol", f, db)
	secret := field(r.stdout, "secret:")
	for _, args := range [][]string{{"show", "carol"}, {"show", "carol", "--json"}, {"list"}, {"list", "--json"}} {
		r := mustRun(t, "", append(args, f, db)...)
		if strings.Contains(r.stdout, secret) || strings.Contains(strings.ToLower(r.stdout), "secret") {
			t.Errorf("otpgate %q shows the secret:\n%s", args, r.stdout)
		}
	}
}

// field returns the value of the "name value" line of out.
func field(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestDatabaseHoldsNoSecret(t *testing.T) {
	f, db := adminDB(t)
	r := mustRun(t, "", "enroll", "dave", "--type", "hotp", f, db)
	b32 := field(r.stdout, "secret:")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(db + "*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range [][]byte{[]byte(b32), []byte(hex.EncodeToString(raw)), raw} {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower(s)) {
				t.Errorf("%s holds the secret in plaintext", name)
			}
		}
	}
}

func TestDeleteEnableDisable(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "erin", "--rfc4226-test-key", f, db)
	code := otp.Generate([]byte("12345678901234567890"), 1, otp.DefaultParams())
	mustRun(t, "", "disable", "erin", f, db)
	if r := otpgate(t, "", nil, "verify", "erin", code, f, db); r.code != 1 {
		t.Errorf("verify on a disabled token = %d; want 1", r.code)
	}
	mustRun(t, "", "enable", "erin", f, db)
	mustRun(t, "", "verify", "erin", code, f, db)
	mustRun(t, "", "delete", "erin", "--yes", f, db)
	if r := mustRun(t, "", "list", f, db); r.stdout != "" {
		t.Errorf("list after delete = %q; want nothing", r.stdout)
	}
	if r := otpgate(t, "", nil, "show", "erin", f, db); r.code != 1 || !strings.Contains(r.stderr, `no such user "erin"`) {
		t.Errorf("show after delete = %d, %q", r.code, r.stderr)
	}
}

// RFC 4226 appendix D codes for counters 0 to 5.
var hotpCodes = []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} // RFC 4226 appendix D

func TestUnlockAfterLockout(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "fred", "--type", "hotp", "--rfc4226-test-key", f, db)
	for range 6 {
		otpgate(t, "", nil, "verify", "fred", "000000", f, db)
	}
	r := mustRun(t, "", "show", "fred", f, db)
	if !strings.Contains(r.stdout, "locked:        until") {
		t.Fatalf("show after 6 failures:\n%s", r.stdout)
	}
	if r := otpgate(t, "", nil, "verify", "fred", hotpCodes[0], f, db); r.code != 1 {
		t.Errorf("verify on a locked token = %d; want 1", r.code)
	}
	mustRun(t, "", "unlock", "fred", f, db)
	mustRun(t, "", "verify", "fred", hotpCodes[0], f, db)
}

func TestResync(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "gina", "--type", "hotp", "--rfc4226-test-key", f, db)
	mustRun(t, "", "resync", "gina", hotpCodes[3], hotpCodes[4], f, db)
	if r := otpgate(t, "", nil, "verify", "gina", hotpCodes[2], f, db); r.code != 1 {
		t.Errorf("verify of a code before the resync = %d; want 1", r.code)
	}
	if r := mustRun(t, "", "test", "gina", f, db); r.stdout != hotpCodes[5]+"\n" {
		t.Errorf("test after resync = %q; want %s", r.stdout, hotpCodes[5])
	}
	mustRun(t, "", "verify", "gina", hotpCodes[5], f, db)

	// The codes on standard input, kept out of the process list.
	mustRun(t, hotpCodes[7]+"\n"+hotpCodes[8]+"\n", "resync", "gina", "-", f, db)
	if r := mustRun(t, "", "test", "gina", f, db); r.stdout != hotpCodes[9]+"\n" {
		t.Errorf("test after resync from stdin = %q; want %s", r.stdout, hotpCodes[9])
	}
}

func TestQRDecodes(t *testing.T) {
	zbar := testpeer.Need(t, "zbarimg")[0]
	f, db := adminDB(t)
	png := filepath.Join(t.TempDir(), "qr.png")
	r := mustRun(t, "", "enroll", "hank user", "--issuer", "ACME VPN", "--qr", png, f, db)
	uri := field(r.stdout, "uri:")
	out, err := exec.Command(zbar, "--raw", "-q", png).Output()
	if err != nil || strings.TrimRight(string(out), "\n") != uri {
		t.Errorf("zbarimg = %q, %v; want %q", out, err, uri)
	}
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("QR file mode: %v, %v", fi, err)
	}
	if r := otpgate(t, "", nil, "enroll", "ivan", "--qr", png, f, db); r.code != 1 {
		t.Errorf("enroll over an existing QR file = %d; want 1", r.code)
	}
	svg := filepath.Join(t.TempDir(), "qr.svg")
	mustRun(t, "", "enroll", "judy", "--qr", svg, f, db)
	if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("SVG file: %q", b)
	}
}

func TestAdminBadInput(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "kim", f, db)
	before := mustRun(t, "", "show", "kim", "--json", f, db).stdout
	dir := t.TempDir()
	badKey := filepath.Join(dir, "bad.key")
	os.WriteFile(badKey, []byte("not a key!!\n"), 0o600)
	shortKey := filepath.Join(dir, "short.key")
	os.WriteFile(shortKey, []byte("abcd\n"), 0o600)
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"show", "nobody"}, 1, `no such user "nobody"`},
		{[]string{"verify", "nobody", "123456"}, 1, `no such user`},
		{[]string{"delete", "nobody", "--yes"}, 1, `no such user`},
		{[]string{"unlock", "--token", "NOPE"}, 1, `no token "NOPE"`},
		{[]string{"enroll", "kim", "--digits", "7"}, 2, "--digits must be 6 or 8"},
		{[]string{"enroll", "kim", "--type", "motp"}, 2, `unknown --type "motp"`},
		{[]string{"enroll", "kim", "--algorithm", "MD5"}, 2, `unknown --algorithm`},
		{[]string{"enroll", "kim", "--key-file", badKey}, 1, "not hex, base32 or base64"},
		{[]string{"enroll", "kim", "--key-file", shortKey}, 1, "OATH secret of 2 bytes"},
		{[]string{"enroll", "kim", "--key-file", filepath.Join(dir, "missing")}, 1, "no such file"},
		{[]string{"enroll", "kim", "--type", "hotp-prefixed"}, 1, "identifier"},
		{[]string{"enroll"}, 2, "missing USER"},
		{[]string{"resync", "kim", "1"}, 2, "missing CODE2"},
		{[]string{"resync", "kim"}, 2, "missing USER CODE1 CODE2"},
		{[]string{"resync", "kim", "-"}, 1, "0 codes on standard input (accepted: exactly 2"},
		{[]string{"show"}, 2, "no user given"},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, append(tt.args, f, db)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
			t.Errorf("otpgate %q = %d, stdout %q, stderr %q; want %d, %q", tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stderr)
		}
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); !strings.Contains(lines[0], "error: ") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "otpgate: hint: ")) {
			t.Errorf("otpgate %q: stderr is not one error line and a hint:\n%s", tt.args, r.stderr)
		}
		if strings.Contains(r.stderr, "not a key") || strings.Contains(r.stderr, "abcd") {
			t.Errorf("otpgate %q: error quotes the key file:\n%s", tt.args, r.stderr)
		}
	}
	if after := mustRun(t, "", "show", "kim", "--json", f, db).stdout; after != before {
		t.Errorf("bad input changed the database:\n%s\nwas:\n%s", after, before)
	}
	if r := mustRun(t, "", "list", f, db); strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("bad input added tokens:\n%s", r.stdout)
	}
	missing := filepath.Join(dir, "none.db")
	if r := otpgate(t, "", nil, "list", "--db", missing); r.code != 1 || !strings.Contains(r.stderr, "no database") {
		t.Errorf("list of a missing database = %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("list created the database")
	}
}
