package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
)

// After rekey the master key is new, no old key is left, and every token
// still verifies.
func TestRekey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "otpgate.db")
	keyPath := filepath.Join(filepath.Dir(db), "master.key")
	for _, u := range []string{"alice", "bob"} {
		if r := otpgate(t, "", nil, "enroll", u, "--db", db, "--type", "hotp", "--rfc4226-test-key"); r.code != 0 {
			t.Fatalf("enroll %s: %+v", u, r)
		}
	}
	before, _ := os.ReadFile(keyPath)
	r := otpgate(t, "", nil, "rekey", "--db", db)
	if r.code != 0 || !strings.Contains(r.stderr, "resealed 2 tokens") {
		t.Fatalf("rekey: %+v", r)
	}
	after, _ := os.ReadFile(keyPath)
	if bytes.Equal(before, after) || len(after) != 32 {
		t.Error("the master key did not change")
	}
	if _, err := os.Stat(keyPath + ".old"); !os.IsNotExist(err) {
		t.Errorf("the old key is still there: %v", err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("new key mode %v; want 0600", fi.Mode().Perm())
	}
	for _, u := range []string{"alice", "bob"} {
		code := otp.Generate([]byte("12345678901234567890"), 0, otp.DefaultParams())
		if r := otpgate(t, code, nil, "verify", u, "-", "--db", db); r.code != 0 {
			t.Errorf("verify %s after rekey: %+v", u, r)
		}
	}
	os.WriteFile(keyPath, before, 0o600) // the old key alone no longer opens the secrets
	if r := otpgate(t, "287082", nil, "verify", "alice", "-", "--db", db); r.code == 0 {
		t.Errorf("verify with the old key succeeded: %+v", r)
	}
	if r := otpgate(t, "", nil, "rekey", "--db", filepath.Join(t.TempDir(), "none.db")); r.code != 1 {
		t.Errorf("rekey of a missing database: %+v", r)
	}
}
