package ykoath

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"fmt"
)

// ErrWrongPassword means the applet refused the VALIDATE response (SW 6A80):
// the password does not derive the applet's access key.
var ErrWrongPassword = errors.New("ykoath: validate: wrong password")

// ErrCardResponse means the applet accepted our VALIDATE response but its
// own answer to our challenge was wrong: whatever answered does not hold
// the access key, so it is not the card the password belongs to.
var ErrCardResponse = errors.New("ykoath: validate: the card's answer to our challenge is wrong; it does not hold the access key")

// hashSHA1 is the algorithm nibble of HMAC-SHA1 in key and type bytes.
const hashSHA1 = 0x01

// DeriveKey computes the applet's access key from a password:
// PBKDF2-HMAC-SHA1 with the salt from SELECT, 1000 iterations, 16 bytes, as
// ykman and OpenConnect do. The password is used as given (ykman encodes it
// as UTF-8 without normalisation).
func DeriveKey(salt, password []byte) []byte {
	key, err := pbkdf2.Key(sha1.New, string(password), salt, pbkdf2Iter, accessKeyLen)
	if err != nil {
		// Only FIPS 140-only mode refuses these parameters (a salt or
		// password too short for it); the applet's scheme is fixed.
		panic("ykoath: PBKDF2: " + err.Error())
	}
	return key
}

func hmacSHA1(key, msg []byte) []byte {
	m := hmac.New(sha1.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Validate unlocks a password-protected applet (VALIDATE). It answers the
// challenge from Select with HMAC-SHA1 under the derived key, sends a fresh
// random challenge of its own and checks the card's answer to it. A wrong
// password gives [ErrWrongPassword]; a card that cannot answer our
// challenge gives [ErrCardResponse]. The applet stays unlocked until the
// next SELECT or power cycle.
func (s *Session) Validate(password []byte) error {
	if s.info == nil {
		return errors.New("ykoath: validate: select the applet first")
	}
	if !s.info.Locked {
		return errors.New("ykoath: validate: the applet has no password set")
	}
	if s.keyAlg != 0 && s.keyAlg&0x0f != hashSHA1 {
		return fmt.Errorf("ykoath: validate: access key algorithm %02x not supported (accepted: HMAC-SHA1, which ykman sets)", s.keyAlg)
	}
	return s.validateKey(DeriveKey(s.info.Salt, password))
}

func (s *Session) validateKey(key []byte) error {
	host := make([]byte, challengeLen)
	rand.Read(host)
	data := AppendTLV(nil, TagResponse, hmacSHA1(key, s.challenge))
	data = AppendTLV(data, TagChallenge, host)
	resp, err := exchange(s.card, InsValidate, 0x00, 0x00, data)
	switch {
	case errors.Is(err, ErrWrongSyntax):
		return ErrWrongPassword
	case err != nil:
		return fmt.Errorf("ykoath: validate: %w", err)
	}
	got, err := expectTLV(resp, TagResponse)
	if err != nil {
		return fmt.Errorf("ykoath: validate: malformed response: %w", err)
	}
	if !hmac.Equal(got, hmacSHA1(key, host)) {
		return ErrCardResponse
	}
	return nil
}

// SetCode sets the applet's password (SET CODE), or removes it when
// password is empty. The applet must be unlocked if it has a password.
// The card checks that we know the new key by our answer to our own
// challenge. Afterwards Select and Validate again before other commands.
func (s *Session) SetCode(password []byte) error {
	if s.info == nil {
		return errors.New("ykoath: set code: select the applet first")
	}
	data := AppendTLV(nil, TagKey, nil)
	if len(password) > 0 {
		key := DeriveKey(s.info.Salt, password)
		host := make([]byte, challengeLen)
		rand.Read(host)
		data = AppendTLV(nil, TagKey, append([]byte{byte(TOTP) | hashSHA1}, key...))
		data = AppendTLV(data, TagChallenge, host)
		data = AppendTLV(data, TagResponse, hmacSHA1(key, host))
	}
	if _, err := exchange(s.card, InsSetCode, 0x00, 0x00, data); err != nil {
		return fmt.Errorf("ykoath: set code: %w", err)
	}
	return nil
}
