// Package yubiotp implements the Yubico OTP format: the modhex encoding, the
// AES-128 block a YubiKey types after its public ID, the CRC-16 that checks
// it, and the counters a server keeps to refuse replays.
//
// An OTP is a public ID of 0 to 16 modhex characters (normally 12) followed
// by 32 modhex characters: one AES-128-ECB block. Decrypted, the block holds
// the private ID, the usage and session counters, a timestamp, random bytes
// and a CRC-16 (ISO 13239) whose residue over the whole block is 0xf0b8.
// The format is documented by Yubico in libyubikey's test-vectors.txt and in
// yubikey-val and yubikey-ksm.
//
// Use [Parse] to split an OTP and find its public ID, [OTP.Decrypt] with the
// token's AES key to check the CRC and read the fields, then compare the
// private ID with [EqualPrivateID] and require [Plaintext.Counter] to be
// above the highest counter accepted so far. [Generate] builds an OTP, for
// tests and simulated keys.
//
// [Yubico OTP]: https://developers.yubico.com/OTP/OTPs_Explained.html
package yubiotp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes of the format.
const (
	KeySize         = 16 // AES-128 key
	BlockSize       = 16 // the encrypted block
	PrivateIDSize   = 6  // "uid" in libyubikey
	MaxPublicIDLen  = 16 // modhex characters
	PublicIDLen     = 12 // modhex characters of a public ID as Yubico programs it
	BlockModhexLen  = 2 * BlockSize
	MaxLen          = MaxPublicIDLen + BlockModhexLen
	CRCOKResidue    = 0xf0b8 // YUBIKEY_CRC_OK_RESIDUE
	UsageCapsLock   = 0x8000 // usage counter bit set when caps lock triggered the OTP
	MaxUsageCounter = 0x7fff
)

// ErrCRC is returned by [OTP.Decrypt] when the decrypted block fails the
// CRC check: the key is not this token's, or the OTP was mistyped.
var ErrCRC = errors.New("yubiotp: CRC check failed (wrong AES key or corrupted OTP)")

// OTP is a parsed, still encrypted, Yubico OTP.
type OTP struct {
	PublicID string // lower-case modhex, 0 to 16 characters
	Block    [BlockSize]byte
}

// Parse splits s into its public ID and encrypted block. Upper-case modhex is
// accepted and folded to lower case (caps lock on the client), so the public
// ID is always lower case. s must be 32 to 48 modhex characters.
func Parse(s string) (OTP, error) {
	if len(s) < BlockModhexLen || len(s) > MaxLen {
		return OTP{}, fmt.Errorf("yubiotp: OTP of length %d (accepted: %d to %d modhex characters)", len(s), BlockModhexLen, MaxLen)
	}
	s = lowerASCII(s)
	cut := len(s) - BlockModhexLen
	if !IsModhex(s[:cut]) {
		return OTP{}, fmt.Errorf("yubiotp: public ID is not modhex (accepted: %s)", Alphabet)
	}
	b, err := DecodeModhex(s[cut:])
	if err != nil {
		return OTP{}, fmt.Errorf("yubiotp: encrypted part: %w", err)
	}
	return OTP{PublicID: s[:cut], Block: [BlockSize]byte(b)}, nil
}

// lowerASCII folds A-Z only, byte by byte: strings.ToLower and strings.Map
// would change the length of some non-ASCII input after it was checked.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// String returns the OTP as a YubiKey types it, in lower case.
func (o OTP) String() string {
	return o.PublicID + EncodeModhex(o.Block[:])
}

// Decrypt decrypts the block with key (16 bytes) and checks its CRC.
func (o OTP) Decrypt(key []byte) (Plaintext, error) {
	c, err := newCipher(key)
	if err != nil {
		return Plaintext{}, err
	}
	var b [BlockSize]byte
	c.Decrypt(b[:], o.Block[:])
	return ParsePlaintext(b)
}

// Plaintext holds the fields of a decrypted block (libyubikey's
// yubikey_token_st).
type Plaintext struct {
	PrivateID [PrivateIDSize]byte
	Usage     uint16 // non-volatile usage counter; bit 15 is [UsageCapsLock]
	Timestamp uint32 // 24 bits, 8 Hz, from a random start at power-up
	Session   uint8  // OTPs since power-up
	Random    uint16
}

// ParsePlaintext reads the fields of a decrypted block after checking its CRC.
func ParsePlaintext(b [BlockSize]byte) (Plaintext, error) {
	if CRC16(b[:]) != CRCOKResidue {
		return Plaintext{}, ErrCRC
	}
	var p Plaintext
	copy(p.PrivateID[:], b[0:6])
	p.Usage = binary.LittleEndian.Uint16(b[6:8])
	p.Timestamp = uint32(binary.LittleEndian.Uint16(b[8:10])) | uint32(b[10])<<16
	p.Session = b[11]
	p.Random = binary.LittleEndian.Uint16(b[12:14])
	return p, nil
}

// Bytes returns the block before encryption, its CRC filled in. Timestamp
// bits above 24 are dropped.
func (p *Plaintext) Bytes() [BlockSize]byte {
	var b [BlockSize]byte
	copy(b[0:6], p.PrivateID[:])
	binary.LittleEndian.PutUint16(b[6:8], p.Usage)
	binary.LittleEndian.PutUint16(b[8:10], uint16(p.Timestamp))
	b[10] = byte(p.Timestamp >> 16)
	b[11] = p.Session
	binary.LittleEndian.PutUint16(b[12:14], p.Random)
	binary.LittleEndian.PutUint16(b[14:16], ^CRC16(b[:14]))
	return b
}

// Counter returns the replay counter: the usage counter without the caps-lock
// flag, shifted left by 8, plus the session counter. Every OTP of a key has a
// higher counter than the one before it, so a server accepts an OTP only if
// its counter is above every counter it accepted before (yubikey-val compares
// the same pair).
func (p *Plaintext) Counter() int64 {
	return int64(p.Usage&MaxUsageCounter)<<8 | int64(p.Session)
}

// CapsLock reports whether the OTP was triggered by caps lock.
func (p *Plaintext) CapsLock() bool { return p.Usage&UsageCapsLock != 0 }

// Generate returns the OTP a key with AES key key and public ID publicID
// (lower-case modhex, at most 16 characters) types for p.
func Generate(publicID string, p Plaintext, key []byte) (string, error) {
	if len(publicID) > MaxPublicIDLen || !IsModhex(publicID) {
		return "", fmt.Errorf("yubiotp: public ID must be at most %d lower-case modhex characters", MaxPublicIDLen)
	}
	c, err := newCipher(key)
	if err != nil {
		return "", err
	}
	o := OTP{PublicID: publicID}
	b := p.Bytes()
	c.Encrypt(o.Block[:], b[:])
	return o.String(), nil
}

func newCipher(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("yubiotp: AES key of %d bytes (accepted: %d)", len(key), KeySize)
	}
	return aes.NewCipher(key)
}

// EqualPrivateID reports in constant time whether two private IDs are equal.
func EqualPrivateID(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
