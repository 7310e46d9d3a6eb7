package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestImportScratchCodesWarned: importing a file Debian's
// google-authenticator wrote says on stderr how many scratch codes were
// left out, in a dry run as in the import itself (issue 14 item 12).
func TestImportScratchCodesWarned(t *testing.T) {
	ga := testpeer.Need(t, "google-authenticator")[0]
	dir := t.TempDir()
	file := filepath.Join(dir, ".google_authenticator")
	if out, err := exec.Command(ga, "-t", "-d", "-u", "-w", "3", "-e", "4", "-f", "-C", "-q", "-Q", "NONE", "-s", file).CombinedOutput(); err != nil {
		t.Fatalf("google-authenticator: %v: %s", err, out)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "otpgate.db")
	const want = "otpgate: warning: record 1: 4 scratch codes are not imported: otpgate has no emergency codes yet, so they will not log in\n"
	for _, dry := range []bool{true, false} {
		args := []string{"import", "--format", "google-authenticator", "--user", "dave", "--db", db, file}
		if dry {
			args = append(args, "--dry-run")
		}
		r := otpgate(t, "", nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("otpgate %q = %d, stderr %q; want exit 0 and first %q", args, r.code, r.stderr, want)
		}
	}
}
