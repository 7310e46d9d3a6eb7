package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

// A pam_oath users file imports all or nothing, and the imported tokens
// verify codes computed by oathtool.
func TestImportUsersFile(t *testing.T) {
	oathtool := testpeer.Need(t, "oathtool")[0]
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	file := filepath.Join(dir, "users.oath")
	const hexKey = "3132333435363738393031323334353637383930"
	os.WriteFile(file, []byte("HOTP alice - "+hexKey+" 5\nHOTP/T30/6 bob - "+hexKey+"\n"), 0o600)

	r := otpgate(t, "", nil, "import", "--format", "users-file", "--dry-run", "--db", db, file)
	if r.code != 0 || r.stdout != "alice\thotp\nbob\ttotp\n" || !strings.Contains(r.stderr, "2 tokens would be imported") {
		t.Fatalf("dry run: %+v", r)
	}
	if r := otpgate(t, "", nil, "list", "--db", db); r.code == 0 && strings.Contains(r.stdout, "alice") {
		t.Fatalf("dry run stored something: %+v", r)
	}
	if r := otpgate(t, "", nil, "import", "--format", "users-file", "--db", db, file); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	out, err := exec.Command(oathtool, "--hotp", "-c", "5", hexKey).Output()
	if err != nil {
		t.Fatal(err)
	}
	if r := otpgate(t, strings.TrimSpace(string(out)), nil, "verify", "alice", "-", "--db", db); r.code != 0 {
		t.Errorf("alice's oathtool code at counter 5: %+v", r)
	}
	code := otp.Generate([]byte("12345678901234567890"), otp.DefaultParams().Step(time.Unix(59, 0)), otp.DefaultParams())
	if r := otpgate(t, code, nil, "verify", "bob", "-", "--db", db); r.code != 0 {
		t.Errorf("bob's TOTP code: %+v", r)
	}

	// A second import of a file naming an enrolled user fails whole.
	os.WriteFile(file, []byte("HOTP carol - "+hexKey+"\nHOTP alice - "+hexKey+"\n"), 0o600)
	r = otpgate(t, "", nil, "import", "--format", "users-file", "--db", db, file)
	if r.code != 1 || !strings.Contains(r.stderr, `"alice" is already enrolled`) {
		t.Errorf("import over an enrolled user: %+v", r)
	}
	if r := otpgate(t, "", nil, "show", "carol", "--db", db); r.code == 0 {
		t.Errorf("carol was imported although the file failed: %+v", r)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	bad := filepath.Join(dir, "bad.oath")
	os.WriteFile(bad, []byte("HOTP alice - 31323\n"), 0o600)
	pinned := filepath.Join(dir, "pin.oath")
	os.WriteFile(pinned, []byte("HOTP alice 1234 3132333435363738393031323334353637383930\n"), 0o600)
	ga := filepath.Join(dir, "ga")
	os.WriteFile(ga, []byte("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n"), 0o600)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"import", bad}, 2, "--format"},
		{[]string{"import", "--format", "csv", bad}, 1, "unknown import format"},
		{[]string{"import", "--format", "users-file", bad}, 1, "line 1"},
		{[]string{"import", "--format", "users-file", pinned}, 1, "pam_oath password"},
		{[]string{"import", "--format", "google-authenticator", ga}, 1, "--user"},
		{[]string{"import", "--format", "pickle", filepath.Join(dir, "missing")}, 1, "no such file"},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, append(tt.args, "--db", db)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) || strings.Contains(r.stderr, "31323") {
			t.Errorf("otpgate %q = %d, %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.msg)
		}
	}
	if r := otpgate(t, "", nil, "import", "--format", "google-authenticator", "--user", "dave", "--db", db, ga); r.code != 0 {
		t.Errorf("google-authenticator with --user: %+v", r)
	}
}
