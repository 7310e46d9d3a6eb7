package ykoath

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// Account is a credential to store with Put.
type Account struct {
	Issuer, Name string
	Type         Type
	Algorithm    otp.Algorithm
	Digits       int           // 6, 7 or 8
	Period       time.Duration // TOTP only; 0 means DefaultPeriod
	Counter      uint32        // HOTP only: the initial moving factor
	Touch        bool          // require a touch for each code
	Secret       []byte
}

// Put stores a (PUT), replacing any credential with the same ID, and
// returns the credential as List will show it. The ID is built by FormatID.
// Like ykman, Put hashes secrets longer than the hash block and pads
// secrets shorter than 14 bytes with zeros; both leave the HMAC unchanged.
func (s *Session) Put(a Account) (Credential, error) {
	c, data, err := putData(a)
	if err != nil {
		return Credential{}, fmt.Errorf("ykoath: put %q: %w", c.ID, err)
	}
	if _, err := exchange(s.card, InsPut, 0x00, 0x00, data); err != nil {
		return Credential{}, fmt.Errorf("ykoath: put %q: %w", c.ID, err)
	}
	return c, nil
}

// putData checks a and encodes the PUT command data.
func putData(a Account) (Credential, []byte, error) {
	if a.Type == TOTP && a.Period == 0 {
		a.Period = DefaultPeriod
	}
	c := Credential{ID: FormatID(a.Issuer, a.Name, a.Type, a.Period), Type: a.Type, Algorithm: a.Algorithm}
	c.Issuer, c.Name, c.Period = ParseID(c.ID, a.Type)
	tb, err := typeByte(a.Type, a.Algorithm)
	if err != nil {
		return c, nil, err
	}
	if err := checkAccount(a, c.ID); err != nil {
		return c, nil, err
	}
	key := append([]byte{tb, byte(a.Digits)}, hmacKey(a.Secret, a.Algorithm)...)
	data := AppendTLV(nil, TagName, []byte(c.ID))
	data = AppendTLV(data, TagKey, key)
	if a.Touch {
		data = append(data, TagProperty, PropRequireTouch) // no length byte, as ykman sends it
	}
	if a.Counter > 0 {
		data = AppendTLV(data, TagIMF, binary.BigEndian.AppendUint32(nil, a.Counter))
	}
	return c, data, nil
}

func checkAccount(a Account, id string) error {
	switch {
	case a.Name == "":
		return errors.New("empty name")
	case len(id) > maxIDLen:
		return fmt.Errorf("credential ID of %d bytes, longer than %d", len(id), maxIDLen)
	case a.Digits < 6 || a.Digits > 8:
		return fmt.Errorf("%d digits not supported (accepted: 6, 7, 8)", a.Digits)
	case len(a.Secret) == 0:
		return errors.New("empty secret")
	case a.Type == TOTP && (a.Period%time.Second != 0 || a.Period < time.Second || a.Period > maxPeriod*time.Second):
		return fmt.Errorf("TOTP period %v not supported (accepted: whole seconds from 1 to %d)", a.Period, uint64(maxPeriod))
	case a.Type == TOTP && a.Counter != 0:
		return errors.New("a counter is only for HOTP credentials")
	}
	return nil
}

// hmacKey shortens a secret longer than the hash block to its hash and pads
// a secret shorter than 14 bytes with zeros, as ykman does (RFC 2104 makes
// both equivalent to the original key).
func hmacKey(secret []byte, a otp.Algorithm) []byte {
	h := map[otp.Algorithm]func() hash.Hash{otp.SHA1: sha1.New, otp.SHA256: sha256.New, otp.SHA512: sha512.New}[a]()
	key := secret
	if len(key) > h.BlockSize() {
		h.Write(key)
		key = h.Sum(nil)
	}
	if len(key) < minKeyLen {
		key = append(append([]byte(nil), key...), make([]byte, minKeyLen-len(key))...)
	}
	return key
}

// Delete removes c from the applet (DELETE). A credential that is not
// there gives [ErrNoSuchObject].
func (s *Session) Delete(c Credential) error {
	if _, err := exchange(s.card, InsDelete, 0x00, 0x00, AppendTLV(nil, TagName, []byte(c.ID))); err != nil {
		return fmt.Errorf("ykoath: delete %q: %w", c.ID, err)
	}
	return nil
}
