package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestImportScratchCodesKept: the scratch codes of a file Debian's
// google-authenticator wrote become the user's recovery codes, counted on
// stderr, and nothing is said to be left out (issue 14 item 12, issue 16).
func TestImportScratchCodesKept(t *testing.T) {
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
	r := mustRun(t, "", "import", "--format", "google-authenticator", "--user", "dave", "--db", db, file)
	if !strings.Contains(r.stderr, "imported 1 tokens and 4 recovery codes") || strings.Contains(r.stderr, "not imported") {
		t.Errorf("import stderr = %q; want 4 recovery codes imported", r.stderr)
	}
	if r := mustRun(t, "", "recovery", "dave", "--left", "--db", db); r.stdout != "4\n" {
		t.Errorf("recovery --left = %q; want 4", r.stdout)
	}
}
