package admin

import (
	"bytes"
	"testing"
)

func TestParseKey(t *testing.T) {
	want := []byte(RFC4226TestKey)
	tests := []string{
		"3132333435363738393031323334353637383930",
		"hex:3132333435363738393031323334353637383930\n",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
		"MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=",
		"base64:MTIzNDU2Nzg5MDEyMzQ1Njc4OTA",
	}
	for _, in := range tests {
		if got, err := ParseKey(in); err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "  ", "hex:123", "hex:", "base64:", "base32:1", "not a key!!"} {
		if _, err := ParseKey(in); err == nil {
			t.Errorf("ParseKey(%q) succeeded; want an error", in)
		}
	}
}

// FuzzParseKey checks that no input panics and that a decoded key, written
// as hex again, decodes to itself.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"3132", "hex:31", "GEZDGNBV", "MTIz", "base64:MTIz", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		again, err := ParseKey("hex:" + hexOf(k))
		if err != nil || !bytes.Equal(again, k) {
			t.Errorf("ParseKey(hex of ParseKey(%q)) = %x, %v; want %x", s, again, err, k)
		}
	})
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
