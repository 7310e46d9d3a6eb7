package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// OpenFile opens the JSON lines file at path for appending (and for reading,
// so that Tee finds where it ends), creating it 0600 if it does not exist. An existing file that is not a regular file,
// or that group or others may write to, is refused: whoever can write to
// it can forge or erase lines. O_APPEND makes each line one write at the
// end of the file, also when several otpgate processes share it, and log
// rotation by rename-and-recreate is seen on the next OpenFile.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
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

// maxLine bounds the last line lastSeq reads back.
const maxLine = 1 << 20

// lastSeq returns the seq of f's last whole line; ok is false when f has
// none or the line has no seq. broken reports that f ends in part of a line
// (a power cut during a write), which the next line must end first.
func lastSeq(f *os.File) (seq int64, ok, broken bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, false, false, fmt.Errorf("auditlog: %w", err)
	}
	n := min(fi.Size(), maxLine+1)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, fi.Size()-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, false, fmt.Errorf("auditlog: read %s: %w", f.Name(), err)
	}
	broken = n > 0 && tail[n-1] != '\n'
	whole := bytes.TrimRight(tail[:bytes.LastIndexByte(tail, '\n')+1], "\n") // empty lines end cut ones
	if len(whole) == 0 {
		return 0, false, broken, nil
	}
	start, end := bytes.LastIndexByte(whole, '\n')+1, len(whole)
	if start == 0 && fi.Size() > n {
		return 0, false, false, fmt.Errorf("auditlog: %s: the last line is longer than %d bytes", f.Name(), maxLine)
	}
	var l struct {
		Seq *int64 `json:"seq"`
	}
	if json.Unmarshal(whole[start:end], &l) != nil || l.Seq == nil {
		return 0, false, broken, nil
	}
	return *l.Seq, true, broken, nil
}
