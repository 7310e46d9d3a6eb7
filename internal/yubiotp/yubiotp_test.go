package yubiotp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Modhex vectors from libyubikey's test-vectors.txt and selftest.c.
var modhexTests = []struct {
	modhex string
	hex    string
}{
	{"dteffuje", "2d344e83"},
	{"hknhfjbrjnlnldnhcujvddbikngjrtgh", "69b6481c8baba2b60e8f22179b58cd56"},
	{"urtubjtnuihvntcreeeecvbregfjibtn", "ecde18dbe76fbd0c33330f1c354871db"},
	{"ifhgieif", hex.EncodeToString([]byte("test"))},
	{"cbdefghijklnrtuv", "0123456789abcdef"},
	{"", ""},
}

func TestModhex(t *testing.T) {
	for _, tt := range modhexTests {
		want := unhex(t, tt.hex)
		got, err := DecodeModhex(tt.modhex)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("DecodeModhex(%q) = %x, %v; want %s", tt.modhex, got, err, tt.hex)
		}
		if got := EncodeModhex(want); got != tt.modhex {
			t.Errorf("EncodeModhex(%s) = %q; want %q", tt.hex, got, tt.modhex)
		}
	}
}

func TestDecodeModhexErrors(t *testing.T) {
	for _, in := range []string{"c", "cbd", "ca", "CB", "0123", "cb\x00c", "ifhgieiF"} {
		if got, err := DecodeModhex(in); err == nil {
			t.Errorf("DecodeModhex(%q) = %x, nil; want an error", in, got)
		}
	}
}

// The sample OTP of libyubikey's test-vectors.txt and the example of the
// ykparse manual page, both under the same key.
var vectorKey = "ecde18dbe76fbd0c33330f1c354871db"

var otpTests = []struct {
	otp      string
	publicID string
	plain    string // decrypted block
	want     Plaintext
	counter  int64
}{
	{
		otp:      "dteffujehknhfjbrjnlnldnhcujvddbikngjrtgh",
		publicID: "dteffuje",
		plain:    "87 92 eb fe 26 cc 13 00 30 c2 00 11 c8 9f 23 c8",
		want: Plaintext{
			PrivateID: [6]byte{0x87, 0x92, 0xeb, 0xfe, 0x26, 0xcc},
			Usage:     0x0013, Timestamp: 0x00c230, Session: 0x11, Random: 0x9fc8,
		},
		counter: 0x13<<8 | 0x11,
	},
	{
		otp:      "dteffujedcflcindvdbrblehecuitvjkjevvehjd",
		publicID: "dteffuje",
		want: Plaintext{
			PrivateID: [6]byte{0x87, 0x92, 0xeb, 0xfe, 0x26, 0xcc},
			Usage:     0x0013, Timestamp: 0x00c0a8, Session: 0x10, Random: 0x08b4,
		},
		counter: 0x13<<8 | 0x10,
	},
}

func TestVectors(t *testing.T) {
	key := unhex(t, vectorKey)
	for _, tt := range otpTests {
		o, err := Parse(tt.otp)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.otp, err)
		}
		if o.PublicID != tt.publicID {
			t.Errorf("Parse(%q).PublicID = %q; want %q", tt.otp, o.PublicID, tt.publicID)
		}
		got, err := o.Decrypt(key)
		if err != nil || got != tt.want {
			t.Errorf("Decrypt(%q) = %+v, %v; want %+v", tt.otp, got, err, tt.want)
		}
		if tt.plain != "" {
			if b := got.Bytes(); !bytes.Equal(b[:], unhex(t, tt.plain)) {
				t.Errorf("Bytes() = %x; want %s", b, tt.plain)
			}
		}
		if c := got.Counter(); c != tt.counter {
			t.Errorf("Counter() = %#x; want %#x", c, tt.counter)
		}
		if g, err := Generate(tt.publicID, got, key); err != nil || g != tt.otp {
			t.Errorf("Generate(%q, %+v) = %q, %v; want %q", tt.publicID, got, g, err, tt.otp)
		}
	}
}

func TestCRCResidue(t *testing.T) {
	// test-vectors.txt: the CRC over the whole plaintext block is the residue.
	b := unhex(t, "87 92 eb fe 26 cc 13 00 30 c2 00 11 c8 9f 23 c8")
	if got := CRC16(b); got != CRCOKResidue {
		t.Errorf("CRC16(block) = %#04x; want %#04x", got, CRCOKResidue)
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		if _, err := ParsePlaintext([BlockSize]byte(c)); !errors.Is(err, ErrCRC) {
			t.Errorf("ParsePlaintext(block with byte %d flipped) error = %v; want ErrCRC", i, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	o, err := Parse(otpTests[0].otp)
	if err != nil {
		t.Fatal(err)
	}
	key := unhex(t, vectorKey)
	key[0] ^= 1
	if p, err := o.Decrypt(key); !errors.Is(err, ErrCRC) {
		t.Errorf("Decrypt(wrong key) = %+v, %v; want ErrCRC", p, err)
	}
	if _, err := o.Decrypt(key[:15]); err == nil || errors.Is(err, ErrCRC) {
		t.Errorf("Decrypt(15-byte key) error = %v; want a key size error", err)
	}
}

func TestCounterMasksCapsLock(t *testing.T) {
	p := Plaintext{Usage: UsageCapsLock | 0x0013, Session: 0x10}
	if got, want := p.Counter(), int64(0x1310); got != want {
		t.Errorf("Counter() with caps lock = %#x; want %#x", got, want)
	}
	if !p.CapsLock() {
		t.Errorf("CapsLock() = false; want true")
	}
	// The session counter wraps into the usage counter: order is kept.
	a := Plaintext{Usage: 5, Session: 0xff}
	b := Plaintext{Usage: 6, Session: 0}
	if a.Counter() >= b.Counter() {
		t.Errorf("Counter(5,0xff) = %#x >= Counter(6,0) = %#x", a.Counter(), b.Counter())
	}
}

func TestParse(t *testing.T) {
	valid := otpTests[0].otp
	tests := []struct {
		in       string
		publicID string
		ok       bool
	}{
		{valid, "dteffuje", true},
		{strings.ToUpper(valid), "dteffuje", true},
		{valid[8:], "", true},
		{"vvvvvvvvvvvvvvvv" + valid[8:], "vvvvvvvvvvvvvvvv", true},
		{"vvvvvvvvvvvvvvvvc" + valid[8:], "", false}, // public ID too long
		{valid[9:], "", false},                       // too short
		{"dteffujx" + valid[8:], "", false},          // public ID not modhex
		{valid[:39] + "a", "", false},                // block not modhex
		{valid + " ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		o, err := Parse(tt.in)
		if (err == nil) != tt.ok || o.PublicID != tt.publicID {
			t.Errorf("Parse(%q) = %q, %v; want %q, ok %v", tt.in, o.PublicID, err, tt.publicID, tt.ok)
		}
		if err == nil && o.String() != strings.ToLower(tt.in) {
			t.Errorf("Parse(%q).String() = %q", tt.in, o.String())
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	key := unhex(t, vectorKey)
	for _, id := range []string{"DTEFFUJE", "abc", strings.Repeat("c", 17)} {
		if _, err := Generate(id, Plaintext{}, key); err == nil {
			t.Errorf("Generate(%q, ...) = nil error; want an error", id)
		}
	}
	if _, err := Generate("", Plaintext{}, key[:8]); err == nil {
		t.Errorf("Generate with an 8-byte key = nil error; want an error")
	}
}

func TestEqualPrivateID(t *testing.T) {
	a := []byte{1, 2, 3, 4, 5, 6}
	if !EqualPrivateID(a, []byte{1, 2, 3, 4, 5, 6}) {
		t.Errorf("EqualPrivateID(a, a) = false")
	}
	if EqualPrivateID(a, []byte{1, 2, 3, 4, 5, 7}) || EqualPrivateID(a, a[:5]) {
		t.Errorf("EqualPrivateID of different IDs = true")
	}
}
