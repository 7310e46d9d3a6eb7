package raddict

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what one Load reads. Debian's whole dictionary is 237 files,
// 26k lines and 18k definitions, the largest file 100 kB.
const (
	MaxFileSize     = 1 << 20
	MaxFiles        = 1024
	MaxDefinitions  = 200_000
	MaxIncludeDepth = 8
)

// ReadFile reads the file at path; os.ReadFile for files on disk.
type ReadFile func(path string) ([]byte, error)

// Load reads the dictionary files at paths, with what they $INCLUDE, on
// top of base (nil for none), and returns the combined dictionary. base is
// not changed. A definition that repeats one already known is accepted; one
// that changes it is an error.
func Load(base *Dictionary, paths ...string) (*Dictionary, error) {
	p := newParser(base, readFileLimited)
	for _, path := range paths {
		data, err := p.read(path)
		if err != nil {
			return nil, fmt.Errorf("raddict: %w", err)
		}
		if err := p.file(path, data, 0); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

// Parse reads one dictionary, data, named name (for errors, and the
// directory its relative $INCLUDEs are read from with read), on top of base.
func Parse(base *Dictionary, name string, data []byte, read ReadFile) (*Dictionary, error) {
	p := newParser(base, read)
	if err := p.file(name, data, 0); err != nil {
		return nil, err
	}
	return p.finish()
}

func readFileLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	return os.ReadFile(path)
}

// parser holds the state of one Load.
type parser struct {
	d       *Dictionary
	readFn  ReadFile
	files   int
	defs    int
	own     map[*Attribute]bool // attributes this parse made, which VALUE may change
	pending []pendingValue      // VALUEs read before their ATTRIBUTE
}

type pendingValue struct {
	attr, name string
	n          uint64
	where      string
}

func newParser(base *Dictionary, read ReadFile) *parser {
	d := newDictionary()
	if base != nil {
		d = base.clone()
	}
	return &parser{d: d, readFn: read, own: make(map[*Attribute]bool)}
}

func (p *parser) read(path string) ([]byte, error) {
	if p.files++; p.files > MaxFiles {
		return nil, fmt.Errorf("more than %d files", MaxFiles)
	}
	if p.readFn == nil {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	data, err := p.readFn(path)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	if err == nil && len(data) > MaxFileSize {
		err = fmt.Errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	return data, err
}

// fileState is what a file's lines change as they are read.
type fileState struct {
	name   string
	line   int
	depth  int
	vendor *Vendor      // inside BEGIN-VENDOR
	tlvs   []*Attribute // inside BEGIN-TLV, innermost last
}

func (f *fileState) where() string { return fmt.Sprintf("%s:%d", f.name, f.line) }

// file reads the lines of one file.
func (p *parser) file(name string, data []byte, depth int) error {
	f := &fileState{name: name, depth: depth}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		f.line++
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			continue
		}
		if err := p.directive(f, fields); err != nil {
			var inner *Error
			if errors.As(err, &inner) {
				return err // from an included file, which has its own place
			}
			return &Error{Where: f.where(), Err: err}
		}
	}
	switch {
	case f.vendor != nil:
		return fmt.Errorf("raddict: %s: BEGIN-VENDOR %s has no END-VENDOR", name, f.vendor.Name)
	case len(f.tlvs) > 0:
		return fmt.Errorf("raddict: %s: BEGIN-TLV %s has no END-TLV", name, f.tlvs[len(f.tlvs)-1].Name)
	}
	return nil
}

// directive handles one line.
func (p *parser) directive(f *fileState, fields []string) error {
	if fields[0] != "$INCLUDE" && fields[0] != "$INCLUDE-" {
		if p.defs++; p.defs > MaxDefinitions {
			return fmt.Errorf("more than %d definitions", MaxDefinitions)
		}
	}
	switch fields[0] {
	case "ATTRIBUTE":
		return p.attribute(f, fields[1:])
	case "VALUE":
		return p.value(f, fields[1:])
	case "VENDOR":
		return p.vendor(fields[1:])
	case "BEGIN-VENDOR":
		return p.beginVendor(f, fields[1:])
	case "END-VENDOR":
		return p.endVendor(f, fields[1:])
	case "BEGIN-TLV":
		return p.beginTLV(f, fields[1:])
	case "END-TLV":
		return p.endTLV(f, fields[1:])
	case "$INCLUDE", "$INCLUDE-":
		return p.include(f, fields)
	}
	return fmt.Errorf("unknown keyword %q (accepted: ATTRIBUTE, VALUE, VENDOR, BEGIN-VENDOR, END-VENDOR, BEGIN-TLV, END-TLV, $INCLUDE)", clip(fields[0]))
}

// include reads another file, relative to the including file's directory;
// $INCLUDE- skips one that does not exist.
func (p *parser) include(f *fileState, fields []string) error {
	if len(fields) != 2 {
		return fmt.Errorf("%s takes one file name", fields[0])
	}
	if f.depth+1 > MaxIncludeDepth {
		return fmt.Errorf("%s nested more than %d deep (an include loop?)", fields[0], MaxIncludeDepth)
	}
	path := fields[1]
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.name), path)
	}
	data, err := p.read(path)
	if fields[0] == "$INCLUDE-" && errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return p.file(path, data, f.depth+1)
}

// finish resolves the VALUEs that came before their ATTRIBUTE.
func (p *parser) finish() (*Dictionary, error) {
	for _, v := range p.pending {
		a, ok := p.d.Attribute(v.attr)
		if !ok {
			return nil, fmt.Errorf("raddict: %s: VALUE for attribute %q, which no ATTRIBUTE defines", v.where, clip(v.attr))
		}
		if err := p.addValue(a, v.name, v.n); err != nil {
			return nil, fmt.Errorf("raddict: %s: %w", v.where, err)
		}
	}
	return p.d, nil
}

// Error is a mistake at a place in a dictionary file.
type Error struct {
	Where string // FILE:LINE
	Err   error
}

func (e *Error) Error() string { return "raddict: " + e.Where + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// clip shortens a word of hostile input before an error quotes it.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
