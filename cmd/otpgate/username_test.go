package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// TestUsernamesRefused: a name package username refuses is refused with
// one error line by enroll, import, verify and test, and nothing is
// created (issue 14 item 6).
func TestUsernamesRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--rfc4226-test-key", "--db", db)
	file := filepath.Join(dir, "users.oath")
	os.WriteFile(file, []byte("HOTP ali\u202ece - 3132333435363738393031323334353637383930\n"), 0o600)
	for _, args := range [][]string{
		{"enroll", "alice\nroot  totp  enabled", "--rfc4226-test-key"},
		{"enroll", "\x1b[2Jalice", "--rfc4226-test-key"},
		{"enroll", strings.Repeat("x", 120000), "--rfc4226-test-key"},
		{"enroll", "alice ", "--rfc4226-test-key"},
		{"import", "--format", "users-file", file},
		{"verify", "ali\u200bce", "123456"},
		{"test", "alice\x00"},
	} {
		r := otpgate(t, "", nil, append(args, "--db", db)...)
		if r.code != 1 || !strings.Contains(r.stderr, "username: invalid") || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") > 1 {
			t.Errorf("otpgate %.40q = %d, %q; want exit 1 and the username error on one line (and a hint at most)", args, r.code, r.stderr)
		}
	}
	if r := mustRun(t, "", "list", "--db", db); strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("list after the refusals = %q; want alice and her token only", r.stdout)
	}
}

// TestUsernameNormalForm: a name enrolled in one Unicode form is the same
// user in another (NFC, as stored).
func TestUsernameNormalForm(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "Zoe\u0308", "--rfc4226-test-key", f, db)
	code := otp.Generate([]byte("12345678901234567890"), 1, otp.DefaultParams())
	mustRun(t, code+"\n", "verify", "Zo\u00eb", "-", f, db)
	if r := mustRun(t, "", "list", f, db); !strings.HasPrefix(r.stdout, "Zo\u00eb\n") {
		t.Errorf("list = %q; want the NFC name first", r.stdout)
	}
}

// TestListQuotesNames: a name stored before names were checked is printed
// quoted, so that it can neither add rows nor reach the terminal as an
// escape sequence.
func TestListQuotesNames(t *testing.T) {
	f, db := adminDB(t)
	mustRun(t, "", "enroll", "alice", "--rfc4226-test-key", f, db)
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(context.Background(), "\x1b[31mmallory\nroot"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r := mustRun(t, "", "list", f, db)
	if strings.Contains(r.stdout, "\x1b") || !strings.Contains(r.stdout, `"\x1b[31mmallory\nroot"`+"\n") {
		t.Errorf("list = %q; want the stored name quoted", r.stdout)
	}
}
