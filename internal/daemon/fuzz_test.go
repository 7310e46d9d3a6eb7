package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadSecretFile checks what readSecretFile makes of any file: the
// first line without its CR, never empty, never longer than the bound, and
// an error that never quotes the content.
func FuzzReadSecretFile(f *testing.F) {
	for _, s := range []string{"s3cret\n", "s3cret\r\nsecond\n", "\n", "", "no newline", strings.Repeat("x", maxSecretFile+1)} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "secret")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readSecretFile("secret_file", path)
		first, _, _ := bytes.Cut(data, []byte("\n"))
		first = bytes.TrimRight(first, "\r")
		if err != nil {
			if len(first) >= 4 && strings.Contains(err.Error(), string(first)) && !strings.Contains(path, string(first)) {
				t.Errorf("readSecretFile error %q quotes the secret", err)
			}
			return
		}
		if len(data) > maxSecretFile || len(got) == 0 || !bytes.Equal(got, first) {
			t.Errorf("readSecretFile(%q) = %q; want its first line, non-empty, of a file of at most %d bytes", data, got, maxSecretFile)
		}
	})
}
