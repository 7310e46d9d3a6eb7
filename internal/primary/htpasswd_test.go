package primary

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// Files made by Apache's htpasswd (apache2-utils) are read and checked.
func TestHtpasswdPeer(t *testing.T) {
	bin := testpeer.Need(t, "htpasswd")[0]
	path := filepath.Join(t.TempDir(), "users")
	for i, u := range []struct{ user, pw string }{{"alice", "correct horse"}, {"bob", "s3cret"}} {
		args := []string{"-b", "-B", "-C", "4", path, u.user, u.pw}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("htpasswd: %v: %s", err, out)
		}
	}
	h, err := LoadHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		user, pw string
		ok       bool
	}{{"alice", "correct horse", true}, {"bob", "s3cret", true}, {"alice", "s3cret", false}, {"carol", "x", false}, {"bob", "", false}} {
		if ok, err := h.Check(context.Background(), tt.user, tt.pw); ok != tt.ok || err != nil {
			t.Errorf("Check(%q) = %v, %v; want %v", tt.user, ok, err, tt.ok)
		}
	}
}

func TestHtpasswdRefusesWeakHashes(t *testing.T) {
	for _, in := range []string{"alice:$apr1$abc$def", "alice:{SHA}abc=", "alice", ":$2y$04$x"} {
		if _, err := ParseHtpasswd(strings.NewReader(in)); err == nil {
			t.Errorf("ParseHtpasswd(%q) succeeded", in)
		}
	}
}

func FuzzParseHtpasswd(f *testing.F) {
	f.Add("alice:$2y$04$abcdefghijklmnopqrstuu5Sc7vz0n6dA6mGSWwoAbcZpY8eETo.y\n# c\n")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHtpasswd(strings.NewReader(in))
		if err == nil {
			h.Check(context.Background(), "alice", "x")
		}
	})
}
