package dynlib

import (
	"errors"
	"strings"
	"testing"
)

func TestOpenMissing(t *testing.T) {
	_, err := Open("libotpgate-missing.so.7", "Frobbing", "libotpgate-missing7")
	var m *MissingError
	if !errors.As(err, &m) || !strings.HasPrefix(err.Error(), "Frobbing needs libotpgate-missing.so.7 (Debian package libotpgate-missing7): ") {
		t.Fatalf("Open(missing) = %v; want a MissingError naming the library and the package", err)
	}
	if !strings.Contains(m.Detail, "libotpgate-missing.so.7") {
		t.Errorf("MissingError.Detail = %q; want dlerror's text", m.Detail)
	}
}

// libc's strlen, called through Bind, agrees with Strlen and GoString.
func TestBindLibc(t *testing.T) {
	libc, err := Open("libc.so.6", "test", "libc6")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Open("libc.so.6", "test", "libc6"); again != libc {
		t.Errorf("a second Open returned another *Lib")
	}
	var strlen func(s *byte) uintptr
	if err := libc.Bind(&strlen, "strlen"); err != nil {
		t.Fatal(err)
	}
	var missing func()
	if err := libc.Bind(&missing, "otpgate_no_such_symbol"); err == nil || libc.Has("otpgate_no_such_symbol") {
		t.Errorf("Bind(otpgate_no_such_symbol) = %v; want an error", err)
	}
	for _, s := range []string{"", "a", "correct horse", strings.Repeat("x", 4096)} {
		b := append([]byte(s), 0, 'j', 'u', 'n', 'k')
		if n := strlen(&b[0]); int(n) != len(s) || Strlen(&b[0]) != len(s) || GoString(&b[0]) != s {
			t.Errorf("strlen = %d, Strlen = %d, GoString = %q; want %d, %q", n, Strlen(&b[0]), GoString(&b[0]), len(s), s)
		}
	}
	if Strlen(nil) != 0 || GoString(nil) != "" {
		t.Errorf("nil is not the empty string")
	}
}
