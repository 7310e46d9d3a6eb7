// Package tokenfile reads and rewrites a user's token file (the @FILE of
// `otpgate code --token-secret @FILE`) so that concurrent runs never reuse an
// HOTP counter and a crash never leaves a broken file.
//
// [Lock] takes an exclusive flock(2) on the file and re-checks, once locked,
// that the path still names the inode it locked: a writer replaces the file by
// rename, so a waiter that locked the old inode must start again on the new
// one. [File.Replace] writes a temporary file in the same directory, fsyncs
// it, gives it the old file's mode, renames it over the old name and fsyncs
// the directory: a reader sees the old contents or the new, never a mixture.
package tokenfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// MaxSize bounds the size of a token file.
const MaxSize = 1 << 20

// File is a locked token file. Its zero value is not usable; call Lock.
type File struct {
	path string
	f    *os.File
	info os.FileInfo
}

// Lock opens path, waits for an exclusive lock on it, and returns the file
// with its contents. Close releases the lock.
func Lock(path string) (*File, []byte, error) {
	for {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("tokenfile: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("tokenfile: lock %s: %w", path, err)
		}
		same, info, err := stillLinked(f, path)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if !same {
			f.Close() // replaced while we waited: lock the new file
			continue
		}
		data, err := readAll(f, path)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return &File{path: path, f: f, info: info}, data, nil
	}
}

// Read returns the contents of path without locking it, for token files that
// are never rewritten (TOTP).
func Read(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("tokenfile: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("tokenfile: %w", err)
	}
	data, err := readAll(f, path)
	return data, info, err
}

func stillLinked(f *os.File, path string) (bool, os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, nil, fmt.Errorf("tokenfile: %w", err)
	}
	pi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("tokenfile: %w", err)
	}
	return os.SameFile(fi, pi), fi, nil
}

func readAll(f *os.File, path string) ([]byte, error) {
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("tokenfile: %s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenfile: read %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("tokenfile: %s is larger than %d bytes; a token file holds one token", path, MaxSize)
	}
	return data, nil
}

// Info is the file's metadata at the time it was locked.
func (t *File) Info() os.FileInfo { return t.info }

// Replace atomically replaces the file's contents with data, keeping its
// mode and, when the process may, its owner. The lock is kept.
func (t *File) Replace(data []byte) error {
	dir, base := filepath.Split(t.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	if err := writeSynced(tmp, data, t.info); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), t.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tokenfile: %w", err)
	}
	return syncDir(dir)
}

func writeSynced(tmp *os.File, data []byte, info os.FileInfo) error {
	defer tmp.Close()
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		// Only root can give a file away; for others the owner is already right.
		_ = tmp.Chown(int(st.Uid), int(st.Gid))
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("tokenfile: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("tokenfile: sync %s: %w", tmp.Name(), err)
	}
	return tmp.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("tokenfile: sync %s: %w", dir, err)
	}
	return nil
}

// Close releases the lock.
func (t *File) Close() error { return t.f.Close() }

// Exposed reports whether a token file can be read by users other than its
// owner: a token secret there is no longer a secret.
func Exposed(info os.FileInfo) bool { return info.Mode().Perm()&0o077 != 0 }

// CreateSecret creates path for a new token secret: O_EXCL, mode 0600.
func CreateSecret(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("tokenfile: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("tokenfile: sync %s: %w", path, err)
	}
	return f.Close()
}
