package securid

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ctfBits reads and writes the 3-bit-per-character payload of a CTF string.
type ctfBits [ctfBitsChars]byte

// get returns n bits starting at bit pos, most significant first.
func (b *ctfBits) get(pos, n int) uint {
	var v uint
	for i := pos; i < pos+n; i++ {
		c, shift := b[i/3], 2-i%3
		v = v<<1 | uint(c>>shift)&1
	}
	return v
}

// put stores the n low bits of v at bit pos, most significant first.
func (b *ctfBits) put(pos, n int, v uint) {
	for i := pos; i < pos+n; i++ {
		bit := byte(v>>(pos+n-1-i)) & 1
		c, shift := &b[i/3], 2-i%3
		*c = *c&^(1<<shift) | bit<<shift
	}
}

// decodeCTF decodes an 81-digit v1/v2 string (dashes already removed).
func decodeCTF(s string, smartphone bool) (*Token, error) {
	if len(s) != ctfLen {
		return nil, fmt.Errorf("securid: CTF string has %d digits; want %d", len(s), ctfLen)
	}
	if strings.Trim(s, "0123456789") != "" {
		return nil, errors.New("securid: CTF string must be decimal digits")
	}
	if s[0] != '1' && s[0] != '2' {
		return nil, errors.New("securid: CTF string version must be 1 or 2")
	}
	var cks ctfBits
	for i := range 5 {
		cks[i] = (s[ctfChecksumAt+i] - '0') & 7
	}
	if uint16(cks.get(0, 15)) != shortMAC([]byte(s[:ctfChecksumAt])) {
		return nil, ErrChecksum
	}
	var b ctfBits
	for i := range b {
		b[i] = (s[ctfBitsStart+i] - '0') & 7
	}
	t := &Token{format: formatCTF, version: int(s[0] - '0'), smartphone: smartphone}
	t.serial = s[1:ctfBitsStart]
	for i := range t.encSeed {
		t.encSeed[i] = byte(b.get(bitEncSeed+8*i, 8))
	}
	t.flags = uint16(b.get(bitFlags, 16))
	t.expDate = uint16(b.get(bitExpDate, 14))
	t.decSeedHash = uint16(b.get(bitDecSeedHash, 15))
	t.devIDHash = uint16(b.get(bitDevIDHash, 15))
	if t.flags&fl128Bit == 0 {
		return nil, errors.New("securid: 64-bit SecurID tokens are not supported; only 128-bit (AES) ones")
	}
	t.needPass = t.flags&flPassProt != 0
	t.needDevID = t.flags&flSNProt != 0
	return t, nil
}

// keyHash is stoken's generate_key_hash: the AES key that encrypts the
// seed, and the 15-bit hash of the device-ID area.
func keyHash(password, devid string, version, devidLen int) ([blockSize]byte, uint16) {
	buf := make([]byte, 0, len(password)+devidLen+len(keyHashMagic))
	buf = append(buf, password...)
	dev := filterDevID(devid, version, devidLen)
	area := make([]byte, devidLen)
	copy(area, dev)
	buf = append(buf, dev...)
	buf = append(buf, keyHashMagic...)
	return securidMAC(buf), shortMAC(area)
}

// filterDevID applies stoken's device-ID rules: look at the first devidLen
// characters; keep upper-cased hex digits (v2), or, by a stoken quirk kept
// for compatibility, everything but decimal digits (v1).
func filterDevID(devid string, version, devidLen int) []byte {
	var out []byte
	for i := 0; i < len(devid) && i < devidLen; i++ {
		c := devid[i]
		isDigit := c >= '0' && c <= '9'
		isHex := isDigit || (c|0x20 >= 'a' && c|0x20 <= 'f')
		if (version == 1 && isDigit) || (version >= 2 && !isHex) {
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out = append(out, c)
	}
	return out
}

// devIDLen is the device-ID area size: 40 for smartphone URIs, else 32.
func (t *Token) devIDLen() int {
	if t.smartphone {
		return devIDCharsPhone
	}
	return devIDChars
}

// decryptCTF checks the device ID and password and decrypts the seed.
func (t *Token) decryptCTF(password, devid string) error {
	if err := checkPassLen(password); err != nil {
		return err
	}
	if !t.needPass {
		password = ""
	}
	if !t.needDevID {
		devid = ""
	}
	key, devHash := keyHash(password, devid, t.version, t.devIDLen())
	if t.needDevID && devHash != t.devIDHash {
		return missingOr(ErrBadDeviceID, devid)
	}
	seed := aesDecrypt(key[:], t.encSeed[:])
	if shortMAC(seed[:]) != t.decSeedHash {
		if t.needPass {
			return missingOr(ErrBadPassword, password)
		}
		return missingOr(ErrBadDeviceID, devid)
	}
	t.seed = seed
	return nil
}

// checkPassLen refuses passwords longer than stoken's MAX_PASS.
func checkPassLen(password string) error {
	if len(password) > maxPass {
		return fmt.Errorf("%w: it is %d bytes and at most %d are accepted", ErrBadPassword, len(password), maxPass)
	}
	return nil
}

// missingOr returns err, saying so when the secret was not given at all.
func missingOr(err error, given string) error {
	if given == "" {
		return fmt.Errorf("%w: the token needs one and none was given", err)
	}
	return err
}

// EncodeV2 returns the decrypted seed as an 81-digit v2 CTF string that
// stoken imports, encrypted under password and bound to devid (either may be
// empty; a v2 device ID is hexadecimal, other characters are ignored). The
// token must be unlocked. Flags, serial and expiry are kept.
func (t *Token) EncodeV2(password, devid string) (string, error) {
	return t.encodeCTF(2, password, devid)
}

// encodeCTF encrypts the seed into a CTF string of the given version.
func (t *Token) encodeCTF(version int, password, devid string) (string, error) {
	if !t.unlocked {
		return "", ErrLocked
	}
	if len(password) > maxPass {
		return "", fmt.Errorf("securid: new password is %d bytes; at most %d are accepted", len(password), maxPass)
	}
	flags := t.flags &^ (flPassProt | flSNProt)
	if password != "" {
		flags |= flPassProt
	}
	if len(filterDevID(devid, version, devIDChars)) > 0 {
		flags |= flSNProt
	} else if devid != "" {
		return "", errors.New("securid: device ID has no usable character; a v2 device ID is hexadecimal")
	}
	key, devHash := keyHash(password, devid, version, devIDChars)
	enc := aesEncrypt(key[:], t.seed[:])
	var b ctfBits
	for i, c := range enc {
		b.put(bitEncSeed+8*i, 8, uint(c))
	}
	b.put(bitFlags, 16, uint(flags))
	b.put(bitExpDate, 14, uint(t.expDate))
	b.put(bitDecSeedHash, 15, uint(shortMAC(t.seed[:])))
	b.put(bitDevIDHash, 15, uint(devHash))
	return finishCTF(strconv.Itoa(version)+t.serial, &b), nil
}

// finishCTF renders version+serial, the payload digits and the checksum.
func finishCTF(head string, b *ctfBits) string {
	var sb strings.Builder
	sb.WriteString(head)
	for _, c := range b {
		sb.WriteByte('0' + c)
	}
	var cks ctfBits
	cks.put(0, 15, uint(shortMAC([]byte(sb.String()))))
	for _, c := range cks[:5] {
		sb.WriteByte('0' + c)
	}
	return sb.String()
}

// constantTimeEqual compares two secrets or MACs in constant time.
func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
