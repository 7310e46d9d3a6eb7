package yubiotp

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParse checks that any input parses or fails without a panic, that a
// parsed OTP prints back as its input, and that an OTP that decrypts under
// the vector key is exactly what Generate makes from its fields.
func FuzzParse(f *testing.F) {
	for _, tt := range otpTests {
		f.Add(tt.otp)
		f.Add(strings.ToUpper(tt.otp))
		f.Add(tt.otp[8:])
	}
	f.Add("")
	f.Add("vvvvvvvvvvvvvvvvvdteffujehknhfjbrjnlnldnhcujvddbikngjrtgh")
	key, _ := hex.DecodeString(vectorKey)
	f.Fuzz(func(t *testing.T, s string) {
		o, err := Parse(s)
		if err != nil {
			return
		}
		if o.String() != lowerASCII(s) {
			t.Fatalf("Parse(%q).String() = %q", s, o.String())
		}
		p, err := o.Decrypt(key)
		if err != nil {
			return
		}
		if g, err := Generate(o.PublicID, p, key); err != nil || g != o.String() {
			t.Fatalf("Generate(Decrypt(%q)) = %q, %v", s, g, err)
		}
	})
}

// FuzzModhex checks that decoding never panics and that encoding inverts it.
func FuzzModhex(f *testing.F) {
	for _, tt := range modhexTests {
		f.Add(tt.modhex)
	}
	f.Add("cbx")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeModhex(s)
		if err != nil {
			return
		}
		if got := EncodeModhex(b); got != s {
			t.Fatalf("EncodeModhex(DecodeModhex(%q)) = %q", s, got)
		}
	})
}
