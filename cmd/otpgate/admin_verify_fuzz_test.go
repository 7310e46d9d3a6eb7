package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

	"otpgate.dev/otpgate/internal/engine"
)

// FuzzReadCode: the code is the start of standard input's first line, never
// longer than a code can be, and never empty.
func FuzzReadCode(f *testing.F) {
	for _, s := range []string{"123456\n", "123456\r\n", "", "\n", "12 34\nrest", strings.Repeat("9", 300)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		code, err := readCode(bytes.NewReader(in))
		if err != nil {
			return
		}
		if code == "" || strings.Contains(code, "\n") || strings.HasSuffix(code, "\r") || len(code) > engine.MaxCodeLen+2 || !bytes.HasPrefix(in, []byte(code)) {
			t.Fatalf("readCode(%q) = %q", in, code)
		}
	})
}

// FuzzReadCodes: exactly n codes without white space, taken from the input
// in order, or an error.
func FuzzReadCodes(f *testing.F) {
	for _, s := range []string{"123456 654321\n", "123456\n654321\n", "1", "1 2 3", "\t1\r\n2 "} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		want := int(n%4) + 1
		codes, err := readCodes(bytes.NewReader(in), want)
		if err != nil {
			return
		}
		if len(codes) != want {
			t.Fatalf("readCodes(%q, %d) = %d codes", in, want, len(codes))
		}
		rest := string(in)
		for _, c := range codes {
			i := strings.Index(rest, c)
			if c == "" || strings.IndexFunc(c, unicode.IsSpace) >= 0 || i < 0 {
				t.Fatalf("readCodes(%q, %d) = %q", in, want, codes)
			}
			rest = rest[i+len(c):]
		}
	})
}
