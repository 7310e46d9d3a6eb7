package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The one rule: a file or pipe on which group and others have no
// permission; everything else is refused with the chmod that fixes it.
func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		mode    os.FileMode
		exposed bool
	}{
		{0o600, false}, {0o400, false}, {0o700, false}, {0o200, false},
		{0o640, true}, {0o604, true}, {0o620, true}, {0o602, true}, {0o610, true}, {0o644, true}, {0o666, true},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.mode.String())
		if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSecret(path, 64)
		switch {
		case tt.exposed && (!errors.Is(err, ErrExposed) || !strings.Contains(err.Error(), "chmod 600 "+path)):
			t.Errorf("ReadSecret(mode %v) = %q, %v; want ErrExposed and the chmod", tt.mode, got, err)
		case tt.exposed && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("ReadSecret(mode %v) error shows the secret: %v", tt.mode, err)
		case !tt.exposed && (err != nil || string(got) != "s3cret\n"):
			t.Errorf("ReadSecret(mode %v) = %q, %v; want the contents", tt.mode, got, err)
		}
	}
}

func TestReadSecretKinds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("0123456789"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(file, link)
	sub := filepath.Join(dir, "dir")
	os.Mkdir(sub, 0o700)
	if _, err := ReadSecret(link, 64); err != nil {
		t.Errorf("ReadSecret through a symbolic link: %v", err)
	}
	if _, err := ReadSecret(sub, 64); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("ReadSecret(a directory) = %v; want \"not a regular file\"", err)
	}
	if _, err := ReadSecret(file, 9); err == nil || !strings.Contains(err.Error(), "larger than 9 bytes") {
		t.Errorf("ReadSecret over the limit = %v", err)
	}
	if b, err := ReadSecret(file, 10); err != nil || len(b) != 10 {
		t.Errorf("ReadSecret at the limit = %q, %v", b, err)
	}
	if _, err := ReadSecret(filepath.Join(dir, "missing"), 64); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadSecret(missing) = %v; want fs.ErrNotExist", err)
	}
	for mode, ok := range map[uint32]bool{0o600: true, 0o644: false} {
		fifo := filepath.Join(dir, "fifo"+os.FileMode(mode).String())
		if err := syscall.Mkfifo(fifo, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(fifo, os.FileMode(mode))
		go func() {
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.WriteString("piped")
				f.Close()
			}
		}()
		b, err := ReadSecret(fifo, 64)
		if ok && (err != nil || string(b) != "piped") || !ok && !errors.Is(err, ErrExposed) {
			t.Errorf("ReadSecret(a %04o pipe) = %q, %v; want ok=%v", mode, b, err, ok)
		}
	}
}

// GroupRead lets the owning group read, and nothing more.
func TestGroupRead(t *testing.T) {
	dir := t.TempDir()
	for mode, ok := range map[os.FileMode]bool{0o600: true, 0o640: true, 0o440: true, 0o660: false, 0o644: false, 0o604: false, 0o650: true, 0o670: false} {
		path := filepath.Join(dir, mode.String())
		os.WriteFile(path, []byte("k"), 0o600)
		os.Chmod(path, mode)
		_, err := GroupRead.Read(path, 8)
		if ok != (err == nil) || !ok && (!errors.Is(err, ErrExposed) || !strings.Contains(err.Error(), "chmod 640 "+path)) {
			t.Errorf("GroupRead.Read(mode %v) = %v; want ok=%v", mode, err, ok)
		}
	}
}
