package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrExposed is wrapped by the error for a secret file that group or others
// have some permission on.
var ErrExposed = errors.New("group or others may read or write it")

// ReadSecret reads the secret file at path, at most limit bytes. It refuses
// a file that group or others have any permission on, and anything but a
// regular file or a pipe (a shell's <(...) is a pipe). The file checked is
// the file read: the checks are made on the opened file.
func ReadSecret(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckSecret(path, fi); err != nil {
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

// CheckSecret applies ReadSecret's rule to fi, the metadata of path as
// opened.
func CheckSecret(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() && fi.Mode().Type() != fs.ModeNamedPipe {
		return fmt.Errorf("%s is not a regular file (accepted: a file or a pipe)", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o: %w; fix it with: chmod 600 %s", path, perm, ErrExposed, path)
	}
	return nil
}
