package auditlog

import (
	"fmt"
	"os"
	"syscall"
)

// OpenFile opens the JSON lines file at path for appending, creating it
// 0600 if it does not exist. An existing file that is not a regular file,
// or that group or others may write to, is refused: whoever can write to
// it can forge or erase lines. O_APPEND makes each line one write at the
// end of the file, also when several otpgate processes share it, and log
// rotation by rename-and-recreate is seen on the next OpenFile.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auditlog: open %q: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("auditlog: open %q: %w", path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("auditlog: %q is not a regular file (accepted: a file, 0600 or 0640)", path)
	case fi.Mode().Perm()&0o022 != 0:
		f.Close()
		return nil, fmt.Errorf("auditlog: %q is writable by group or others (mode %04o; accepted: not group- or world-writable, e.g. 0600)", path, fi.Mode().Perm())
	}
	return f, nil
}
