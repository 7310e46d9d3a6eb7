package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn/authtoken"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestOpenVPNGenkey: genkey writes a 0600 key that the auth-token reader
// takes, a fresh one each time, and never overwrites an existing file.
func TestOpenVPNGenkey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authtoken.key")
	r := otpgate(t, "", nil, "openvpn", "genkey", path)
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "wrote a new auth-token key to "+path) {
		t.Fatalf("openvpn genkey = %+v", r)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if _, err := authtoken.LoadKey(path); err != nil {
		t.Errorf("authtoken.LoadKey(the new key) = %v", err)
	}
	first := readToken(t, path)
	r = otpgate(t, "", nil, "openvpn", "genkey", path)
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "hint:") || readToken(t, path) != first {
		t.Errorf("openvpn genkey over an existing key = %+v; want exit 1, a hint, the key unchanged", r)
	}
	other := filepath.Join(dir, "other.key")
	otpgate(t, "", nil, "openvpn", "genkey", other)
	if readToken(t, other) == first {
		t.Errorf("two genkey runs wrote the same key")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestOpenVPNGenkeyErrors(t *testing.T) {
	full := filepath.Join(testpeer.FullDir(t), "authtoken.key")
	tests := []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"openvpn", "genkey", "--help"}, 0, "Usage:\n    otpgate openvpn genkey PATH", ""},
		{[]string{"openvpn", "genkey"}, 2, "", "name the key file"},
		{[]string{"openvpn", "genkey", "a", "b"}, 2, "", `unexpected argument "b"`},
		{[]string{"openvpn", "genkey", filepath.Join(t.TempDir(), "no", "dir")}, 1, "", "no such file or directory"},
		{[]string{"openvpn", "genkey", full}, 1, "", "no space left on device"},
		{[]string{"openvpn", "--help"}, 0, "openvpn genkey PATH", ""},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.out) || !strings.Contains(r.stderr, tt.err) {
			t.Errorf("otpgate %q = %+v; want %d, %q, %q", tt.args, r, tt.code, tt.out, tt.err)
		}
	}
	if _, err := os.Lstat(full); err == nil {
		t.Errorf("genkey on a full disk left %s", full)
	}
}
