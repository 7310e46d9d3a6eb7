package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader reads a text format one line at a time, with the line number at
// hand for errors. Lines longer than MaxLineLength, and NUL bytes, are
// errors; a UTF-8 byte-order mark before the first line and the "\r" of
// "\r\n" line ends are dropped.
type lineReader struct {
	format string
	sc     *bufio.Scanner
	n      int // number of the line last returned
	bad    error
	recs   recordList
}

func newLineReader(format string, r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLength+1)
	return &lineReader{format: format, sc: sc}
}

// next returns the next line, or false at the end of input or on an error,
// which err then reports.
func (l *lineReader) next() ([]byte, bool) {
	if l.bad != nil || !l.sc.Scan() {
		return nil, false
	}
	l.n++
	line := l.sc.Bytes()
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	if len(line) > MaxLineLength {
		l.bad = l.errorf("the line is longer than %d bytes", MaxLineLength)
		return nil, false
	}
	if bytes.IndexByte(line, 0) >= 0 {
		l.bad = l.errorf("the line contains a NUL byte (a text file is expected)")
		return nil, false
	}
	return line, true
}

// err returns the error that stopped next, or nil at a clean end of input.
func (l *lineReader) err() error {
	if l.bad != nil {
		return l.bad
	}
	err := l.sc.Err()
	if errors.Is(err, bufio.ErrTooLong) {
		return &Error{Format: l.format, Line: l.n + 1, Msg: fmt.Sprintf("the line is longer than %d bytes", MaxLineLength)}
	}
	if err != nil {
		return fmt.Errorf("importer: read %s: %w", l.format, err)
	}
	return nil
}

// errorf returns an *Error for the current line.
func (l *lineReader) errorf(format string, args ...any) error {
	return &Error{Format: l.format, Line: l.n, Msg: fmt.Sprintf(format, args...)}
}

// add collects r, from the current line, enforcing MaxRecords.
func (l *lineReader) add(r Record) error {
	if l.recs.n >= MaxRecords {
		return l.errorf("%s", errTooMany)
	}
	r.Line = l.n
	l.recs.add(r)
	return nil
}

// records returns what add collected, or the error that stopped next.
func (l *lineReader) records() ([]Record, error) {
	if err := l.err(); err != nil {
		return nil, err
	}
	return l.recs.slice(), nil
}

// recordList collects records in chunks, so that a file of a million tokens
// is copied once at the end rather than each time a slice would grow.
type recordList struct {
	chunks [][]Record
	n      int
}

const recordChunk = 4096

func (l *recordList) add(r Record) {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == recordChunk {
		l.chunks = append(l.chunks, make([]Record, 0, recordChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, r)
	l.n++
}

func (l *recordList) slice() []Record {
	if l.n == 0 {
		return nil
	}
	out := make([]Record, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c...)
	}
	return out
}

// isBlankOrComment reports whether line holds nothing, or only a comment
// starting with '#' after optional white space.
func isBlankOrComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t\r\f\v")
	return len(t) == 0 || t[0] == '#'
}

// parseLines reads a line-oriented format: blank lines and '#' comments are
// skipped, and parse turns every other line into a record, reports skip for
// a line that holds no token, or says what is wrong with it (which fails the
// whole file, at that line).
func parseLines(format string, r io.Reader, parse func(line []byte) (rec Record, skip bool, msg string)) ([]Record, error) {
	lr := newLineReader(format, r)
	for {
		line, ok := lr.next()
		if !ok {
			return lr.records()
		}
		if isBlankOrComment(line) {
			continue
		}
		rec, skip, msg := parse(line)
		if msg != "" {
			return nil, lr.errorf("%s", msg)
		}
		if skip {
			continue
		}
		if err := lr.add(rec); err != nil {
			return nil, err
		}
	}
}
