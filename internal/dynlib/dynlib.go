// Package dynlib loads a C shared library at run time, without cgo, with
// github.com/ebitengine/purego: otpgate builds with CGO_ENABLED=0 and needs
// libpam.so.0 or libpcsclite.so.1 only when a feature that uses it runs.
// See dlopen(3) for the loader's rules (which directories it searches, what
// RTLD_NOW means).
//
// Use [Open] once per library (it caches), then [Lib.Bind] each function.
// The binary that imports this package is dynamically linked against the C
// library (ld.so, libc.so.6): a fully static binary cannot dlopen glibc's
// libraries. docs/install.md says what that means for the release binary.
package dynlib

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Lib is a loaded shared library. Its functions are safe for concurrent
// use; whether the library's are is the library's business.
type Lib struct {
	soname string
	handle uintptr
}

// MissingError says that a feature's library could not be loaded.
type MissingError struct {
	Feature string // what needs it: "PAM"
	Soname  string // "libpam.so.0"
	Package string // the Debian package that ships it: "libpam0g"
	Detail  string // dlerror(3)
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s needs %s (Debian package %s): %s", e.Feature, e.Soname, e.Package, e.Detail)
}

var (
	mu     sync.Mutex
	loaded = map[string]*Lib{}
)

// Open loads soname once per process (later calls return the same *Lib,
// and a failure is tried again). feature and pkg name the error.
func Open(soname, feature, pkg string) (*Lib, error) {
	mu.Lock()
	defer mu.Unlock()
	if l, ok := loaded[soname]; ok {
		return l, nil
	}
	// RTLD_NOW: a library that lacks a symbol fails here, not mid-login.
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, &MissingError{Feature: feature, Soname: soname, Package: pkg, Detail: err.Error()}
	}
	l := &Lib{soname: soname, handle: h}
	loaded[soname] = l
	return l, nil
}

// Has reports whether the library exports name.
func (l *Lib) Has(name string) bool {
	_, err := purego.Dlsym(l.handle, name)
	return err == nil
}

// Bind points the function variable fptr at the library's symbol name; the
// variable's type must match the C prototype, as purego.RegisterFunc says.
func (l *Lib) Bind(fptr any, name string) error {
	sym, err := purego.Dlsym(l.handle, name)
	if err != nil {
		return fmt.Errorf("%s: no symbol %s: %w", l.soname, name, err)
	}
	purego.RegisterFunc(fptr, sym)
	return nil
}

// BindAll binds each function variable to its symbol and stops at the
// first that is missing.
func (l *Lib) BindAll(syms ...Sym) error {
	for _, s := range syms {
		if err := l.Bind(s.Fn, s.Name); err != nil {
			return err
		}
	}
	return nil
}

// Sym pairs a function variable with its symbol, for [Lib.BindAll].
type Sym struct {
	Fn   any
	Name string
}

// GoString copies the NUL-terminated C string at p; nil is "".
func GoString(p *byte) string {
	return string(unsafe.Slice(p, Strlen(p)))
}

// Strlen is strlen(3) of the C string at p; nil has length 0.
func Strlen(p *byte) int {
	if p == nil {
		return 0
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return n
}
