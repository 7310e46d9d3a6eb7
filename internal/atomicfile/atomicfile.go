// Package atomicfile is otpgate's one writer of files that must never be
// seen half-written and its one reader of files that hold a secret.
//
// Writing: [Create] and [Replace], or [Prepare] for a caller with something
// to do between writing and publishing, write the data to a temporary file
// in the destination's directory, created O_CREATE|O_EXCL with mode 0600
// whatever the final mode (a secret is never readable by others, not even
// for a moment), fsync it, and publish it under the destination's name:
// link(2) for Create, which fails when the name exists, so that the file
// appears complete or not at all and an existing one is never overwritten
// (O_EXCL semantics for the whole file); rename(2) for Replace, so that a
// reader sees the old contents or the new. The directory is then fsynced so
// that the new name survives a crash, as rename(2) and fsync(2) require.
//
// A crash between creating and publishing leaves the temporary file, named
// ".NAME.tmp-RANDOM" beside NAME, with the data in it. [RemoveStale] removes
// those of one destination, for a caller holding a lock that excludes every
// other writer of it (package tokenfile does, for HOTP token files).
//
// Reading: [ReadSecret] reads a key, token, password or PIN file, and
// [CheckSecret] applies its rule to a file opened elsewhere. There are two
// rules, one per kind of file, and a file that breaks its rule is refused
// with the chmod that fixes it; a warning would be read too late, if at all:
// the secret is already disclosed, and refusing is the only way its owner
// hears of it.
//
//   - [OwnerOnly], for a user's own secrets and otpgate's master key: group
//     and others have no permission at all (mode & 0077 == 0), as OpenSSH
//     demands of a private key. ReadSecret and CheckSecret apply it.
//   - [GroupRead], for a file a service reads as a member of the group that
//     owns it (0640 root:otpgate): others have no permission and the group
//     may only read (mode & 0027 == 0).
package atomicfile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tempInfix separates a destination's name from the random part of its
// temporary files' names.
const tempInfix = ".tmp-"

// Temp is a temporary file, written and synced beside its destination but
// not yet published. Call Link or Rename to publish it, and Discard (safe
// after either) to remove it otherwise.
type Temp struct {
	dest, name string
	done       bool
}

// Prepare writes data to a new temporary file beside dest and syncs it. The
// file is created with mode 0600; with like non-nil it then takes like's
// mode and, when the process may give files away, its owner and group.
func Prepare(dest string, data []byte, like fs.FileInfo) (*Temp, error) {
	name := tempPrefix(dest) + rand.Text()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: create a temporary file for %s: %w", dest, unwrapPath(err))
	}
	t := &Temp{dest: dest, name: name}
	err = fill(f, data, like)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Discard()
		return nil, fmt.Errorf("atomicfile: write %s: %w", dest, unwrapPath(err))
	}
	return t, nil
}

// fill writes data to f, gives it like's owner and mode, and syncs it.
func fill(f *os.File, data []byte, like fs.FileInfo) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if like != nil {
		if st, ok := like.Sys().(*syscall.Stat_t); ok {
			// Only root can give a file away; for others the owner is already right.
			_ = f.Chown(int(st.Uid), int(st.Gid))
		}
		if err := f.Chmod(like.Mode().Perm()); err != nil {
			return err
		}
	}
	return f.Sync()
}

// Link publishes the file under its destination's name unless that name
// exists, in which case the error wraps fs.ErrExist and nothing changes.
func (t *Temp) Link() error {
	if err := os.Link(t.name, t.dest); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", t.dest, fs.ErrExist)
		}
		return fmt.Errorf("atomicfile: create %s: %w", t.dest, unwrapPath(err))
	}
	t.Discard()
	return SyncDir(filepath.Dir(t.dest))
}

// Rename publishes the file under its destination's name, replacing what
// was there.
func (t *Temp) Rename() error {
	if err := os.Rename(t.name, t.dest); err != nil {
		return fmt.Errorf("atomicfile: replace %s: %w", t.dest, unwrapPath(err))
	}
	t.done = true
	return SyncDir(filepath.Dir(t.dest))
}

// Discard removes the temporary file unless it was renamed into place.
func (t *Temp) Discard() {
	if !t.done {
		os.Remove(t.name)
		t.done = true
	}
}

// Create writes data to a new file at path, mode 0600. It fails with an
// error wrapping fs.ErrExist, changing nothing, when path exists.
func Create(path string, data []byte) error {
	t, err := Prepare(path, data, nil)
	if err != nil {
		return err
	}
	defer t.Discard()
	return t.Link()
}

// Replace writes data to path, replacing the file there atomically. The new
// file has like's mode and owner, or mode 0600 when like is nil.
func Replace(path string, data []byte, like fs.FileInfo) error {
	t, err := Prepare(path, data, like)
	if err != nil {
		return err
	}
	defer t.Discard()
	return t.Rename()
}

// SyncDir makes a link, rename or removal in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomicfile: sync directory %s: %w", dir, err)
	}
	return nil
}

// RemoveStale removes the temporary files that writers of path killed
// before publishing left beside it. Call it only while holding a lock that
// excludes every other writer of path: a live writer's file would go too,
// and its publishing fail.
func RemoveStale(path string) error {
	dir, prefix := filepath.Split(tempPrefix(path))
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: look for stale temporary files of %s: %w", path, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("atomicfile: remove a stale temporary file of %s: %w", path, unwrapPath(err))
		}
	}
	return SyncDir(dir)
}

// tempPrefix is the path of path's temporary files without their random
// part: ".NAME.tmp-" in the same directory, hidden from ls and globs.
func tempPrefix(path string) string {
	dir, base := filepath.Split(path)
	return dir + "." + base + tempInfix
}

// unwrapPath drops the *PathError or *LinkError around a system error, whose
// message names a temporary file the caller never heard of.
func unwrapPath(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
