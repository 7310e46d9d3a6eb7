package securid

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Code returns the tokencode at t as `stoken tokencode` prints it. When the
// token mixes in its PIN ([Token.UsesPIN]), pin is required and is added
// digit by digit; otherwise pin is ignored (see [Token.Passcode]). The token
// must be unlocked.
func (t *Token) Code(at time.Time, pin string) (string, error) {
	if !t.unlocked {
		return "", ErrLocked
	}
	switch {
	case !t.UsesPIN():
		pin = ""
	case pin == "":
		return "", fmt.Errorf("%w: the token mixes its PIN into the code and none was given", ErrBadPIN)
	case !validPIN(pin):
		return "", ErrBadPIN
	}
	return t.tokencode(at, pin), nil
}

// Passcode returns what the user types at a login prompt at t. For a token
// that mixes in its PIN it equals Code. Otherwise, as OpenConnect does for
// PIN modes 0 and 1, the PIN (which may be empty) is written in front of
// the tokencode.
func (t *Token) Passcode(at time.Time, pin string) (string, error) {
	if t.UsesPIN() {
		return t.Code(at, pin)
	}
	if pin != "" && !validPIN(pin) {
		return "", ErrBadPIN
	}
	code, err := t.Code(at, "")
	if err != nil {
		return "", err
	}
	return pin + code, nil
}

// validPIN reports whether pin is 4 to 8 decimal digits.
func validPIN(pin string) bool {
	if len(pin) < minPIN || len(pin) > maxPIN {
		return false
	}
	for i := range len(pin) {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

// tokencode is stoken's securid_compute_tokencode.
func (t *Token) tokencode(at time.Time, pin string) string {
	at = at.UTC()
	bcd := bcdTime(at, t.Interval())
	k0 := aesEncrypt(t.seed[:], t.keyFromTime(bcd, 2))
	k1 := aesEncrypt(k0[:], t.keyFromTime(bcd, 3))
	k0 = aesEncrypt(k1[:], t.keyFromTime(bcd, 4))
	k1 = aesEncrypt(k0[:], t.keyFromTime(bcd, 5))
	k0 = aesEncrypt(k1[:], t.keyFromTime(bcd, 8))
	i := codeIndex(at, t.Interval())
	return formatCode(binary.BigEndian.Uint32(k0[i:i+4]), t.Digits(), pin)
}

// bcdTime returns YY YY MM DD hh mm 00 00 in BCD, the minute rounded down
// to the start of the block of four codes that one computation yields.
func bcdTime(at time.Time, interval time.Duration) [8]byte {
	minute := at.Minute()
	if interval == 30*time.Second {
		minute &^= 1
	} else {
		minute &^= 3
	}
	return [8]byte{
		bcd(at.Year() / 100), bcd(at.Year() % 100), bcd(int(at.Month())), bcd(at.Day()),
		bcd(at.Hour()), bcd(minute), 0, 0,
	}
}

func bcd(v int) byte { return byte(v/10%10<<4 | v%10) }

// keyFromTime is stoken's key_from_time: n BCD time bytes over 0xAA, the
// BCD of serial digits 4..11, then 0xBB.
func (t *Token) keyFromTime(bcdTime [8]byte, n int) []byte {
	k := make([]byte, blockSize)
	for i := range 8 {
		k[i] = 0xaa
	}
	copy(k, bcdTime[:n])
	for i := range 4 {
		hi, lo := t.serial[4+2*i]-'0', t.serial[5+2*i]-'0'
		k[8+i] = hi<<4 | lo
	}
	for i := 12; i < blockSize; i++ {
		k[i] = 0xbb
	}
	return k
}

// codeIndex picks which of the four 32-bit codes in the final block is
// current.
func codeIndex(at time.Time, interval time.Duration) int {
	if interval == 30*time.Second {
		i := (at.Minute() & 1) << 3
		if at.Second() >= 30 {
			i |= 4
		}
		return i
	}
	return (at.Minute() & 3) << 2
}

// formatCode writes the low digits of code in decimal, adding each PIN
// digit (from the right) to the code digit in the same position, mod 10.
func formatCode(code uint32, digits int, pin string) string {
	out := make([]byte, digits)
	p := len(pin)
	for i := digits - 1; i >= 0; i-- {
		d := byte(code % 10)
		code /= 10
		if p > 0 {
			p--
			d += pin[p] - '0'
		}
		out[i] = '0' + d%10
	}
	return string(out)
}
