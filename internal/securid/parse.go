package securid

import (
	"errors"
	"fmt"
	"strings"
)

// errNotToken marks a line that is not a token at all, so that a
// multi-line input moves on to its next line.
var errNotToken = errors.New("securid: not a SecurID token: want an 81-digit CTF string, a com.rsa.securid:// or http://127.0.0.1/securid/ctf URI, a ctfData= v3 token or an sdtid XML file")

// Parse decodes a token in any form stoken imports (see the package doc).
// An input of several lines yields the first line that is a token. The
// token is not yet decrypted: see [Token.Decrypt].
func Parse(s string) (*Token, error) {
	if len(s) > maxInput {
		return nil, fmt.Errorf("securid: token input is %d bytes; at most %d are accepted", len(s), maxInput)
	}
	if strings.Contains(s, "<?xml ") {
		return parseSDTID(s)
	}
	for line := range strings.Lines(s) {
		t, err := parseLine(strings.TrimRight(line, "\r\n"))
		if !errors.Is(err, errNotToken) {
			return t, err
		}
	}
	return nil, errNotToken
}

// parseLine decodes one line: stoken's __stoken_parse_and_decode_token.
func parseLine(s string) (*Token, error) {
	tok, found := afterCTFData(s)
	if !found {
		if s == "" || s[0] < '0' || s[0] > '9' {
			return nil, errNotToken
		}
		tok = s
	}
	smartphone := false
	for _, p := range smartphonePrefix {
		if strings.HasPrefix(s, p) {
			smartphone = true
		}
	}
	switch {
	case tok != "" && (tok[0] == '1' || tok[0] == '2'):
		return decodeCTF(ctfDigits(tok), smartphone)
	case tok != "" && tok[0] == 'A':
		return decodeV3(tok)
	}
	return nil, errNotToken
}

// afterCTFData returns what follows "ctfData=3D" or else "ctfData=",
// matched case-insensitively anywhere in s.
func afterCTFData(s string) (string, bool) {
	lower := strings.ToLower(s)
	for _, key := range []string{"ctfdata=3d", "ctfdata="} {
		if i := strings.Index(lower, key); i >= 0 {
			return s[i+len(key):], true
		}
	}
	return "", false
}

// ctfDigits collects the digits of a CTF string, skipping dashes and
// stopping at the first other character.
func ctfDigits(s string) string {
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; {
		case c == '-':
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return b.String()
		}
	}
	return b.String()
}

// Decrypt decrypts the seed with the password and device ID, either of
// which may be empty when the token does not need it (a secret the token
// does not need is ignored, as stoken does). It returns an error wrapping
// [ErrBadPassword] or [ErrBadDeviceID] when they do not match. Passwords of
// CTF and v3 tokens are at most 40 bytes; an sdtid file uses only the first
// 32 bytes of its password.
func (t *Token) Decrypt(password, devid string) error {
	t.unlocked, t.seed, t.savedPIN = false, [blockSize]byte{}, ""
	var err error
	switch t.format {
	case formatCTF:
		err = t.decryptCTF(password, devid)
	case formatV3:
		err = t.decryptV3(password, devid)
	case formatSDTID:
		err = t.decryptSDTID(password)
	default:
		err = errors.New("securid: Decrypt on a Token that Parse did not return")
	}
	if err != nil {
		return err
	}
	if err := t.decryptRCPIN(password); err != nil {
		return err
	}
	t.unlocked = true
	return nil
}
