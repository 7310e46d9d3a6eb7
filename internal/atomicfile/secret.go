package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrExposed is wrapped by the error for a secret file that someone the
// rule excludes has some permission on.
var ErrExposed = errors.New("group or others may read or write it")

// Rule says who besides its owner may have access to a secret file.
type Rule uint8

const (
	// OwnerOnly: group and others have no permission at all (mode & 0077
	// == 0). The rule for a user's own secrets (token, password, PIN and
	// key files) and for otpgate's master key.
	OwnerOnly Rule = iota
	// GroupRead: the owning group may read, nobody else but the owner has
	// any permission (mode & 0027 == 0). The rule for a file a service reads
	// as a member of the group that owns it, e.g. 0640 root:otpgate.
	GroupRead
)

// Read reads the secret file at path, at most limit bytes. It refuses a
// file r excludes, and anything but a regular file or a pipe (a shell's
// <(...) is a pipe). The file checked is the file read: the checks are made
// on the opened file.
func (r Rule) Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := r.Check(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, unwrapPath(err))
	}
	if int64(len(data)) > limit {
		clear(data)
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// Check applies r to fi, the metadata of path as opened.
func (r Rule) Check(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() && fi.Mode().Type() != fs.ModeNamedPipe {
		return fmt.Errorf("%s is not a regular file (accepted: a file or a pipe)", path)
	}
	perm := fi.Mode().Perm()
	switch {
	case r == OwnerOnly && perm&0o077 != 0:
		return fmt.Errorf("%s has mode %04o: %w; fix it with: chmod 600 %s", path, perm, ErrExposed, path)
	case r == GroupRead && perm&0o027 != 0:
		return fmt.Errorf("%s has mode %04o: %w (accepted: the owner's group may read it, e.g. 0640); fix it with: chmod 640 %s",
			path, perm, ErrExposed, path)
	}
	return nil
}

// ReadSecret is OwnerOnly.Read.
func ReadSecret(path string, limit int64) ([]byte, error) { return OwnerOnly.Read(path, limit) }

// CheckSecret is OwnerOnly.Check.
func CheckSecret(path string, fi fs.FileInfo) error { return OwnerOnly.Check(path, fi) }
