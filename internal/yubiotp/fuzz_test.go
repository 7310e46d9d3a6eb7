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

// FuzzParsePlaintext checks that any decrypted block parses or fails with
// ErrCRC, that a block that parses is exactly what its fields write back,
// and that fields written as a block parse back as themselves.
func FuzzParsePlaintext(f *testing.F) {
	key, _ := hex.DecodeString(vectorKey)
	for _, tt := range otpTests {
		if o, err := Parse(tt.otp); err == nil {
			if p, err := o.Decrypt(key); err == nil {
				b := p.Bytes()
				f.Add(b[:])
			}
		}
	}
	f.Add(make([]byte, BlockSize))
	f.Fuzz(func(t *testing.T, in []byte) {
		var b [BlockSize]byte
		copy(b[:], in)
		p, err := ParsePlaintext(b)
		if err != nil {
			if err != ErrCRC {
				t.Fatalf("ParsePlaintext(%x) = %v; want ErrCRC or nil", b, err)
			}
		} else if p.Bytes() != b {
			t.Fatalf("ParsePlaintext(%x).Bytes() = %x", b, p.Bytes())
		}
		// The same bytes read as fields: they must survive a round trip.
		q := Plaintext{Usage: uint16(b[6]) | uint16(b[7])<<8, Timestamp: uint32(b[8]) | uint32(b[9])<<8 | uint32(b[10])<<16,
			Session: b[11], Random: uint16(b[12]) | uint16(b[13])<<8}
		copy(q.PrivateID[:], b[:6])
		if got, err := ParsePlaintext(q.Bytes()); err != nil || got != q {
			t.Fatalf("ParsePlaintext(%+v.Bytes()) = %+v, %v", q, got, err)
		}
	})
}
