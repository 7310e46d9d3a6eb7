// Package ykoath is a client of the YubiKey OATH applet (YKOATH): the
// smart-card application that keeps HOTP (RFC 4226) and TOTP (RFC 6238) keys
// on a YubiKey and computes codes without ever revealing a key.
//
// Use [NewSession] on a [Card] (package pcsc opens a PC/SC reader; package
// ykoathsim simulates the applet), then [Session.Select]. If [Info.Locked],
// call [Session.Validate] with the password. Then [Session.List] the
// credentials, pick one with [Find] and get its code with [Session.Calculate].
//
// Credential IDs follow ykman's convention "[period/][issuer:]name", and
// Calculate uses the period of the ID, so unlike OpenConnect's yubikey.c
// this package handles periods other than 30 s and SHA-512 credentials. It
// also checks the card's answer to its own random challenge during
// VALIDATE, where OpenConnect sends a fixed challenge and ignores the answer.
//
// Errors returned by a Session start with "ykoath: " and the operation;
// refusals by the card wrap a [StatusError], which errors.Is matches against
// [ErrAuthRequired], [ErrNoSuchObject] and the other Err values.
//
// References: the YKOATH protocol
// (https://developers.yubico.com/OATH/YKOATH_Protocol.html) and Yubico's
// python-yubikit oath.py, which ykman uses.
package ykoath

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Session talks to the OATH applet through one Card. It is not safe for
// concurrent use, and whoever else uses the card shares its selection and
// authentication state.
type Session struct {
	card      Card
	info      *Info  // from the last SELECT; nil before
	challenge []byte // SELECT challenge while a password is set
	keyAlg    byte   // SELECT algorithm of the access key, 0 if absent
}

// NewSession returns a Session on c. Call Select before anything else.
func NewSession(c Card) *Session {
	return &Session{card: c}
}

// Version is the applet version from SELECT: major, minor, patch.
type Version [3]byte

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
}

// Info is what SELECT tells about the applet.
type Info struct {
	Version Version
	// Salt is the applet's random NAME, the PBKDF2 salt of the password.
	// A RESET replaces it.
	Salt []byte
	// DeviceID is ykman's identifier of the applet: the unpadded base64 of
	// the first 16 bytes of SHA-256(Salt).
	DeviceID string
	// Locked reports that a password is set: Validate must succeed before
	// the applet answers anything else.
	Locked bool
}

// Select selects the OATH applet and reads its version, salt and, when a
// password is set, the challenge for Validate. Selecting ends any earlier
// authentication. A card without the applet gives [ErrAppletNotFound].
func (s *Session) Select() (*Info, error) {
	resp, err := exchange(s.card, InsSelect, 0x04, 0x00, AID)
	if err != nil {
		return nil, fmt.Errorf("ykoath: select: %w", err)
	}
	info, chal, alg, err := parseSelect(resp)
	if err != nil {
		return nil, fmt.Errorf("ykoath: select: malformed response: %w", err)
	}
	s.info, s.challenge, s.keyAlg = info, chal, alg
	return info, nil
}

// parseSelect decodes the SELECT response: VERSION and NAME are required,
// CHALLENGE and ALGORITHM come only when a password is set. Unknown tags
// are ignored, as newer firmware may add some.
func parseSelect(b []byte) (info *Info, challenge []byte, keyAlg byte, err error) {
	tlvs, err := parseTLVs(b)
	if err != nil {
		return nil, nil, 0, err
	}
	info = new(Info)
	var haveVersion bool
	for _, t := range tlvs {
		switch t.tag {
		case TagVersion:
			if len(t.value) != 3 {
				return nil, nil, 0, fmt.Errorf("version of %d bytes, want 3", len(t.value))
			}
			info.Version, haveVersion = Version(t.value), true
		case TagName:
			info.Salt = t.value
		case TagChallenge:
			challenge = t.value
		case TagAlgorithm:
			if len(t.value) != 1 {
				return nil, nil, 0, fmt.Errorf("access key algorithm of %d bytes, want 1", len(t.value))
			}
			keyAlg = t.value[0]
		}
	}
	switch {
	case !haveVersion:
		return nil, nil, 0, errors.New("no version tag")
	case len(info.Salt) == 0 || len(info.Salt) > 64:
		return nil, nil, 0, fmt.Errorf("salt of %d bytes, want 1 to 64", len(info.Salt))
	case challenge != nil && (len(challenge) == 0 || len(challenge) > 64):
		return nil, nil, 0, fmt.Errorf("challenge of %d bytes, want 1 to 64", len(challenge))
	}
	info.Salt = append([]byte(nil), info.Salt...)
	info.DeviceID = DeviceID(info.Salt)
	info.Locked = challenge != nil
	return info, append([]byte(nil), challenge...), keyAlg, nil
}

// DeviceID computes ykman's identifier of an applet from its salt.
func DeviceID(salt []byte) string {
	sum := sha256.Sum256(salt)
	return base64.RawStdEncoding.EncodeToString(sum[:16])
}

// Reset erases every credential and the password (RESET, P1 P2 = DE AD)
// and selects the applet again, which now has a new salt. It needs no
// password.
func (s *Session) Reset() (*Info, error) {
	if _, err := exchange(s.card, InsReset, 0xde, 0xad, nil); err != nil {
		return nil, fmt.Errorf("ykoath: reset: %w", err)
	}
	return s.Select()
}
