// Package securid computes tokencodes of RSA SecurID 128-bit (AES)
// time-based software tokens, compatible with [stoken] 0.92 and so with
// OpenConnect's --token-mode=rsa, which uses libstoken.
//
// Use [Parse] on anything stoken imports: an 81-digit CTF string (with or
// without dashes), an Android or iPhone URI (also in the "ctfData=3D"
// form that quoted-printable mail leaves), a v3 token after "ctfData=", an
// RSA .sdtid XML file, or a text whose first line that is a token is one of
// those. Use [ParseRC] on a stoken ~/.stokenrc. Then, if
// [Token.NeedsPassword] or [Token.NeedsDeviceID] says so, call
// [Token.Decrypt]: it fails with [ErrBadPassword] or [ErrBadDeviceID]
// rather than yield a wrong seed (a v2 string checks the seed with a 15-bit
// hash, so, as in stoken, about one wrong password in 32768 slips through;
// v3 and sdtid tokens check full MACs). [Token.Passcode] gives what the user types
// at a VPN prompt and [Token.Code] what `stoken tokencode` prints; they do
// not refuse an expired token (see [Token.Expired]). [Token.EncodeV2]
// re-exports the seed as a v2 CTF string under a new password and device
// ID, for import into another token store.
//
// The formats and algorithms are stoken's (src/securid.c, src/sdtid.c,
// src/library.c), as described in otpgate's reference notes on client
// tokens, section 2; the text that the sdtid MACs cover was established
// against stoken itself, and the tests compare every format with the
// stoken binary. Where stoken accepts garbage (sdtid digit counts above 8
// wrap around, any interval but 60 means 30) this package returns an
// error instead. stoken's guessing of class-GUID device IDs is not done:
// a device-bound token needs its device ID.
//
// A Token is not safe for concurrent use while Decrypt runs; after that,
// Code and Passcode may be called concurrently.
//
// [stoken]: https://github.com/cernekee/stoken
package securid

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Wrapped errors add context, never a secret.
var (
	// ErrBadPassword means the password does not decrypt the seed (or none
	// was given for a password-protected token).
	ErrBadPassword = errors.New("securid: wrong password")
	// ErrBadDeviceID means the device ID does not match the one the token
	// is bound to (or none was given).
	ErrBadDeviceID = errors.New("securid: wrong device ID")
	// ErrLocked means Code was called before a successful Decrypt.
	ErrLocked = errors.New("securid: token seed is still encrypted: call Decrypt first")
	// ErrChecksum means a CTF string's checksum does not match: it was
	// mistyped or truncated.
	ErrChecksum = errors.New("securid: token checksum mismatch: the string is mistyped or corrupt")
	// ErrBadPIN means a PIN is not 4 to 8 decimal digits, or is missing for
	// a token that mixes the PIN into its code.
	ErrBadPIN = errors.New("securid: PIN must be 4 to 8 digits")
)

type format int

const (
	formatCTF format = iota // v1/v2 numeric string, plain or in a URI
	formatV3
	formatSDTID
)

// Token is one SecurID software token. Its zero value is not usable: get one
// from [Parse] or [ParseRC].
//
// For a v3 token, whose serial and parameters are inside the encrypted
// payload, Serial, Digits, Interval, PINMode and Expiry return zero values
// until Decrypt succeeds.
type Token struct {
	format     format
	version    int  // CTF version digit (1 or 2); 3 for v3
	smartphone bool // parsed from a smartphone URI: 40-character device IDs

	serial  string
	flags   uint16
	expDate uint16 // days since 2000-01-01

	encSeed     [blockSize]byte
	decSeedHash uint16
	devIDHash   uint16

	v3    []byte      // the decoded v3 token
	sdtid *sdtidToken // the parsed sdtid file

	needPass, needDevID bool

	seed     [blockSize]byte
	unlocked bool

	rcPIN    string // PIN from an rcfile: plain, or 64 hex digits encrypted
	savedPIN string // rcPIN once decrypted
}

// NeedsPassword reports whether Decrypt needs a password.
func (t *Token) NeedsPassword() bool { return t.needPass }

// NeedsDeviceID reports whether Decrypt needs the device ID the token was
// issued to.
func (t *Token) NeedsDeviceID() bool { return t.needDevID }

// Unlocked reports whether the seed is decrypted, so that Code works.
func (t *Token) Unlocked() bool { return t.unlocked }

// Serial returns the 12-digit serial number.
func (t *Token) Serial() string { return t.serial }

// Digits returns the length of a tokencode, 1 to 8 (6 or 8 in practice).
func (t *Token) Digits() int {
	if t.serial == "" {
		return 0
	}
	return int(t.flags&fldDigitMask)>>fldDigitShift + 1
}

// Interval returns how long one tokencode is valid: 30 or 60 seconds.
func (t *Token) Interval() time.Duration {
	if t.serial == "" {
		return 0
	}
	if t.flags&fldNumSecondsMask == 0 {
		return 30 * time.Second
	}
	return 60 * time.Second
}

// PINMode returns the token's PIN mode, 0 to 3. Modes 2 and 3 mix the PIN
// into the tokencode; see [Token.UsesPIN].
func (t *Token) PINMode() int { return int(t.flags&fldPINModeMask) >> fldPINModeShift }

// UsesPIN reports whether the PIN is mixed into the tokencode (PIN mode 2
// or 3), so that [Token.Code] needs it.
func (t *Token) UsesPIN() bool { return t.PINMode() >= 2 }

// Expiry returns the instant the token stops being valid: midnight UTC after
// its last day. stoken shows this date as "Expiration date", capped at
// 2038/01/19 where this package is not.
func (t *Token) Expiry() time.Time {
	if t.serial == "" {
		return time.Time{}
	}
	epoch := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	return epoch.AddDate(0, 0, int(t.expDate)+1)
}

// Expired reports whether the token has expired at now. stoken refuses to
// print codes of an expired token without --force; Code does not check.
func (t *Token) Expired(now time.Time) bool {
	return t.serial != "" && !now.Before(t.Expiry())
}

// SavedPIN returns the PIN stored in the rcfile the token came from, or ""
// if there was none. An encrypted PIN is available only after Decrypt.
func (t *Token) SavedPIN() string { return t.savedPIN }

// String describes the token without any secret.
func (t *Token) String() string {
	if t.serial == "" {
		return "securid.Token{encrypted v3}"
	}
	return fmt.Sprintf("securid.Token{serial %s, %d digits, %v, PIN mode %d}",
		t.serial, t.Digits(), t.Interval(), t.PINMode())
}

// GoString keeps %#v from printing the seed.
func (t *Token) GoString() string { return t.String() }
