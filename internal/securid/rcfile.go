package securid

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// rcVersion is the only ~/.stokenrc version stoken writes (RC_VER).
const rcVersion = "1"

// ParseRC decodes a stoken rcfile (~/.stokenrc): "key value" lines with
// '#' comments, where "version 1" and "token <token>" are required and
// "pin <pin>" is optional. The PIN is stored encrypted when the token has a
// password; [Token.SavedPIN] returns it after Decrypt.
func ParseRC(data []byte) (*Token, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("securid: rcfile is %d bytes; at most %d are accepted", len(data), maxInput)
	}
	fields := map[string]string{}
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "#")
		key, value := splitRCLine(line)
		if key != "" {
			fields[strings.ToLower(key)] = value
		}
	}
	if fields["version"] != rcVersion {
		return nil, errors.New(`securid: rcfile must contain "version 1"`)
	}
	if fields["token"] == "" {
		return nil, errors.New(`securid: rcfile has no "token" line`)
	}
	t, err := parseLine(fields["token"])
	if err != nil {
		return nil, fmt.Errorf("securid: rcfile token: %w", err)
	}
	t.rcPIN = fields["pin"]
	if t.rcPIN != "" && !validPIN(t.rcPIN) && !isEncryptedPIN(t.rcPIN) {
		return nil, errors.New("securid: rcfile pin must be 4 to 8 digits or 64 hex digits (encrypted)")
	}
	return t, nil
}

// splitRCLine splits "key value" at the first blank.
func splitRCLine(line string) (key, value string) {
	line = strings.TrimSpace(line)
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	return line[:i], strings.TrimSpace(line[i:])
}

// isEncryptedPIN reports whether s looks like stoken's encrypted PIN:
// a 16-byte IV and one AES block, in hex.
func isEncryptedPIN(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) == 4*blockSize
}

// decryptRCPIN recovers the rcfile PIN once the password is known to be
// right: the block holds the PIN digits, NUL-padded, its last byte the
// PIN length, encrypted as AES_{securidMAC(password)}(block XOR IV).
func (t *Token) decryptRCPIN(password string) error {
	if t.rcPIN == "" || validPIN(t.rcPIN) {
		t.savedPIN = t.rcPIN
		return nil
	}
	if !t.needPass {
		return errors.New("securid: rcfile pin is encrypted but the token has no password")
	}
	raw, _ := hex.DecodeString(t.rcPIN)
	key := securidMAC([]byte(password))
	block := aesDecrypt(key[:], raw[blockSize:])
	xorBlock(block[:], raw[:blockSize])
	n := int(block[blockSize-1])
	pin := string(block[:min(n, blockSize-1)])
	if n > maxPIN || !validPIN(pin) || strings.Trim(string(block[n:blockSize-1]), "\x00") != "" {
		return errors.New("securid: rcfile encrypted pin does not decrypt to 4 to 8 digits")
	}
	t.savedPIN = pin
	return nil
}
