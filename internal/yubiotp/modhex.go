package yubiotp

import (
	"fmt"
	"strings"
)

// Alphabet is the modhex alphabet: the characters that stand for the hex
// digits 0 to f (libyubikey's YUBIKEY_MODHEX_MAP). They sit on the same keys
// in most keyboard layouts, which is why a YubiKey types them.
const Alphabet = "cbdefghijklnrtuv"

// modhexValue maps a lower-case modhex character to its value, or -1.
var modhexValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := range len(Alphabet) {
		v[Alphabet[i]] = int8(i)
	}
	return v
}()

// EncodeModhex returns src in modhex, two characters per byte.
func EncodeModhex(src []byte) string {
	var b strings.Builder
	b.Grow(2 * len(src))
	for _, c := range src {
		b.WriteByte(Alphabet[c>>4])
		b.WriteByte(Alphabet[c&0x0f])
	}
	return b.String()
}

// DecodeModhex decodes lower-case modhex. An odd length or a character
// outside [Alphabet] is an error.
func DecodeModhex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("yubiotp: modhex of odd length %d (two characters per byte)", len(s))
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		hi, lo := modhexValue[s[2*i]], modhexValue[s[2*i+1]]
		if hi < 0 || lo < 0 {
			return nil, fmt.Errorf("yubiotp: invalid modhex character at offset %d (accepted: %s)", 2*i+pos(hi < 0), Alphabet)
		}
		out[i] = byte(hi)<<4 | byte(lo)
	}
	return out, nil
}

func pos(first bool) int {
	if first {
		return 0
	}
	return 1
}

// IsModhex reports whether s consists only of lower-case modhex characters.
func IsModhex(s string) bool {
	for i := range len(s) {
		if modhexValue[s[i]] < 0 {
			return false
		}
	}
	return true
}
