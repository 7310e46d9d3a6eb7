package testpeer

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// FullDir returns a directory on a file system with no space left: a small
// tmpfs mounted for the test (which runs as root, as `make test` does) and
// filled up, so that creating a file there succeeds and writing to it fails
// with ENOSPC, as on a full disk. The tmpfs is unmounted when t ends.
func FullDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v (the tests run as root: run `make test` as root)", dir, err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	fill, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer fill.Close()
	block := make([]byte, 4096)
	for {
		if _, err := fill.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the tmpfs: %v", err)
			}
			return dir
		}
	}
}
