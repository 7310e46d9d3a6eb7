package tokenfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// increment adds one to the number in the file path leads to, under Lock.
func increment(t *testing.T, path string) {
	f, data, err := Lock(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if err := f.Replace([]byte(strconv.Itoa(n+1) + "\n")); err != nil {
		t.Error(err)
	}
}

// Lockers through a symbolic link, a link to the link and the real path
// exclude each other: 60 increments give 60, and the links stay links.
func TestLockThroughLinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "vpn.token")
	os.Mkdir(filepath.Dir(real), 0o700)
	if err := os.WriteFile(real, []byte("0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link, chain := filepath.Join(dir, "link"), filepath.Join(dir, "chain")
	os.Symlink(real, link)
	os.Symlink("link", chain) // relative, resolved from dir
	paths := []string{real, link, chain}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() { increment(t, paths[i%3]) })
	}
	wg.Wait()
	if b, _ := os.ReadFile(real); string(b) != "60\n" {
		t.Errorf("after 60 increments the file holds %q", b)
	}
	for _, l := range []string{link, chain} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link: %v", l, err)
		}
	}
}

func TestLockRefuses(t *testing.T) {
	dir := t.TempDir()
	exposed := filepath.Join(dir, "exposed")
	os.WriteFile(exposed, []byte("1"), 0o600)
	os.Chmod(exposed, 0o604)
	if _, _, err := Lock(exposed); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Lock(a 0604 file) = %v; want a refusal with the chmod", err)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "none"), dangling)
	if _, _, err := Lock(dangling); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Lock(a dangling link) = %v; want no such file", err)
	}
}

// Lock removes what killed writers of the same file left, beside the real
// file, and nothing else.
func TestLockRemovesStale(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "vpn.token")
	os.WriteFile(real, []byte("0\n"), 0o600)
	link := filepath.Join(t.TempDir(), "vpn.token")
	os.Symlink(real, link)
	stale, other := filepath.Join(dir, ".vpn.token.tmp-X"), filepath.Join(dir, ".vpn.tokens.tmp-X")
	os.WriteFile(stale, []byte("secret"), 0o600)
	os.WriteFile(other, []byte("secret"), 0o600)
	f, _, err := Lock(link)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Lstat(stale); err == nil {
		t.Errorf("Lock left the stale %s", stale)
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("Lock removed another file's %s", other)
	}
}
