package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// leftovers lists the temporary files of path in its directory.
func leftovers(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := Create(path, []byte("first\n")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("Create made mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	err = Create(path, []byte("second\n"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over an existing file = %v; want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first\n" {
		t.Errorf("Create over an existing file changed it to %q", b)
	}
	if l := leftovers(t, path); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// Of 16 concurrent Creates of one path exactly one wins, and the file holds
// that one's data whole.
func TestCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { errs[i] = Create(path, []byte(strings.Repeat(strconv.Itoa(i%10), 4096))) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("Create %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("Create %d: %v; want success or fs.ErrExist", i, err)
		}
	}
	b, _ := os.ReadFile(path)
	if won < 0 || string(b) != strings.Repeat(strconv.Itoa(won%10), 4096) {
		t.Errorf("winner %d; the file holds %d bytes starting %q", won, len(b), b[:min(len(b), 8)])
	}
	if l := leftovers(t, path); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestReplaceKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("old"), 0o400); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	if err := Replace(path, []byte("new"), before); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	after, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "new" || after.Mode().Perm() != 0o400 || os.SameFile(before, after) {
		t.Errorf("after Replace: %q, mode %v, same inode %v; want new contents in a new 0400 file", b, after.Mode().Perm(), os.SameFile(before, after))
	}
	if err := Replace(path, []byte("newer"), nil); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("Replace without a model gave mode %v; want 0600", fi.Mode().Perm())
	}
}

// On a full file system every writer fails with ENOSPC, the destination is
// as it was (absent, or with its old contents) and no temporary file stays.
func TestFullDisk(t *testing.T) {
	dir := testpeer.FullDir(t)
	fresh, old := filepath.Join(dir, "fresh"), filepath.Join(dir, "old")
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func() error{
		"Create":  func() error { return Create(fresh, []byte("a secret")) },
		"Replace": func() error { return Replace(old, []byte("a secret"), nil) },
	} {
		if err := write(); !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s on a full disk = %v; want ENOSPC naming the file", name, err)
		}
	}
	if _, err := os.Lstat(fresh); err == nil {
		t.Errorf("Create on a full disk left %s", fresh)
	}
	if b, err := os.ReadFile(old); err != nil || len(b) != 0 {
		t.Errorf("Replace on a full disk changed %s: %q, %v", old, b, err)
	}
	if l := append(leftovers(t, fresh), leftovers(t, old)...); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestPrepareDiscard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export")
	tmp, err := Prepare(path, []byte("data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	l := leftovers(t, path)
	if len(l) != 1 {
		t.Fatalf("after Prepare: temporary files %v; want one", l)
	}
	if fi, _ := os.Stat(l[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("temporary file mode %v; want 0600", fi.Mode().Perm())
	}
	tmp.Discard()
	tmp.Discard()
	if _, err := os.Lstat(path); err == nil || len(leftovers(t, path)) != 0 {
		t.Errorf("Discard left %s or its temporary file", path)
	}
}

// RemoveStale removes the destination's own leftovers and nothing else.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vpn.token")
	keep := []string{"vpn.token", ".vpn.token.tmp", ".other.tmp-X", "vpn.token.tmp-X", ".vpn.tokenx.tmp-X"}
	gone := []string{".vpn.token.tmp-ABC", ".vpn.token.tmp-"}
	for _, n := range append(keep, gone...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".vpn.token.tmp-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".vpn.token.tmp-dir")
	if err := RemoveStale(path); err != nil {
		t.Fatal(err)
	}
	for _, n := range keep {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("RemoveStale removed %s", n)
		}
	}
	for _, n := range gone {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			t.Errorf("RemoveStale left %s", n)
		}
	}
}
