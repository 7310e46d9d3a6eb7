// Package tokenfile rewrites a user's HOTP token file (the @FILE of
// `otpgate code --token-secret @FILE`) so that concurrent runs never reuse a
// counter and a crash never leaves a broken file or a stray copy of the
// secret.
//
// [Lock] resolves symbolic links first: the token is the file a link points
// to, and that file is locked and rewritten, so that runs through the link
// and through the real path share one lock and one counter and the link
// stays a link. It takes an exclusive flock(2) on the file and re-checks,
// once locked, that the path still leads to the inode it locked: a writer
// replaces the file by rename, so a waiter that locked the old inode starts
// again on the new one. The file must pass [atomicfile.CheckSecret].
//
// Holding the lock excludes every other writer of the token, so Lock also
// removes the temporary files that writers killed mid-write left beside the
// file ([atomicfile.RemoveStale]). [File.Replace] writes through
// [atomicfile.Replace]: a reader sees the old contents or the new.
//
// Token files that are only read (TOTP) need none of this: read them with
// [atomicfile.ReadSecret].
package tokenfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// MaxSize bounds the size of a token file.
const MaxSize = 1 << 20

// File is a locked token file. Its zero value is not usable; call Lock.
type File struct {
	path string // the file itself, symbolic links resolved
	f    *os.File
	info os.FileInfo
}

// Lock waits for an exclusive lock on the token file path leads to and
// returns it with its contents. Close releases the lock.
func Lock(path string) (*File, []byte, error) {
	for {
		t, retry, err := lockOnce(path)
		if err != nil {
			return nil, nil, err
		}
		if retry {
			continue
		}
		data, err := t.read()
		if err != nil {
			t.Close()
			return nil, nil, err
		}
		return t, data, nil
	}
}

// lockOnce locks the file path leads to now; retry says it was replaced
// while this process waited for the lock.
func lockOnce(path string) (_ *File, retry bool, err error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, false, fmt.Errorf("tokenfile: %w", err)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, false, fmt.Errorf("tokenfile: %w", err)
	}
	defer func() {
		if err != nil || retry {
			f.Close()
		}
	}()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return nil, false, fmt.Errorf("tokenfile: lock %s: %w", path, err)
	}
	info, same, err := stillLeadsTo(f, path, real)
	if err != nil || !same {
		return nil, !same, err
	}
	if err := check(path, info); err != nil {
		return nil, false, err
	}
	if err := atomicfile.RemoveStale(real); err != nil {
		return nil, false, fmt.Errorf("tokenfile: %w", err)
	}
	return &File{path: real, f: f, info: info}, false, nil
}

// stillLeadsTo reports whether path still resolves to real and real is
// still the file f has open.
func stillLeadsTo(f *os.File, path, real string) (os.FileInfo, bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("tokenfile: %w", err)
	}
	now, err := filepath.EvalSymlinks(path)
	if err != nil || now != real {
		return nil, false, nil // replaced or re-pointed: resolve again
	}
	ri, err := os.Stat(real)
	if err != nil {
		return nil, false, nil
	}
	return fi, os.SameFile(fi, ri), nil
}

// check applies the rule for secret files, and refuses what cannot be
// replaced by rename.
func check(path string, info os.FileInfo) error {
	if err := atomicfile.CheckSecret(path, info); err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("tokenfile: %s is a pipe: an HOTP token's counter must be saved in a file", path)
	}
	return nil
}

// read returns the file's contents, at most MaxSize bytes.
func (t *File) read() ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(t.f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenfile: read %s: %w", t.path, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("tokenfile: %s is larger than %d bytes; a token file holds one token", t.path, MaxSize)
	}
	return data, nil
}

// Replace atomically replaces the file's contents with data, keeping its
// mode and, when the process may, its owner. The lock is kept.
func (t *File) Replace(data []byte) error {
	if err := atomicfile.Replace(t.path, data, t.info); err != nil {
		return fmt.Errorf("tokenfile: %w", err)
	}
	return nil
}

// Close releases the lock.
func (t *File) Close() error { return t.f.Close() }
