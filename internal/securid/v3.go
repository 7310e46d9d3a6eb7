package securid

import (
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Offsets in a decoded v3 token (stoken's struct v3_token).
const (
	v3OffPassLocked  = 1
	v3OffDevIDLocked = 2
	v3OffDevIDHash   = 3
	v3OffPassHash    = 35
	v3OffNonce       = 67
	v3OffPayload     = 83
	v3OffMAC         = 259
	v3PayloadLen     = v3OffMAC - v3OffPayload // 176
	v3NonceLen       = 16
)

// Offsets in the decrypted v3 payload.
const (
	v3PaySerial   = 0
	v3PaySeed     = 16
	v3PayMode     = 34
	v3PayDigits   = 35
	v3PayAddPIN   = 36
	v3PayInterval = 37
	v3PayExpiry   = 48
	v3PayPadding  = 160
	v3AddPINOn    = 0x21
)

// decodeV3 decodes the URL-encoded base64 of a v3 token.
func decodeV3(s string) (*Token, error) {
	unescaped, err := percentDecode(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return nil, fmt.Errorf("securid: v3 token is not valid base64: %w", err)
	}
	if len(raw) != v3Len || raw[0] != 3 {
		return nil, fmt.Errorf("securid: v3 token must decode to %d bytes starting with version 3", v3Len)
	}
	return &Token{
		format:    formatV3,
		version:   3,
		v3:        raw,
		needPass:  raw[v3OffPassLocked] != 0,
		needDevID: raw[v3OffDevIDLocked] != 0,
	}, nil
}

// percentDecode undoes %XX escapes, leaving '+' alone as stoken does.
func percentDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", errors.New("securid: v3 token has a malformed %XX escape")
		}
		b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

// v3DevID keeps the letters and digits of devid, upper-cased, zero-padded
// or cut to 48 bytes.
func v3DevID(devid string) []byte {
	out := make([]byte, 0, v3DevIDLen)
	for i := 0; i < len(devid) && len(out) < v3DevIDLen; i++ {
		switch c := devid[i]; {
		case c >= 'a' && c <= 'z':
			out = append(out, c-'a'+'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			out = append(out, c)
		}
	}
	return append(out, make([]byte, v3DevIDLen-len(out))...)
}

// v3Derive is stoken's v3_derive_key: PBKDF2-HMAC-SHA256 over the odd bytes
// of password || devid || constant || nonce, salted with the nonce.
func v3Derive(password string, devid, nonce []byte, id int) []byte {
	buf := make([]byte, 0, len(password)+v3DevIDLen+2*v3NonceLen)
	buf = append(buf, password...)
	buf = append(buf, devid...)
	buf = append(buf, v3Const[id][:]...)
	buf = append(buf, nonce...)
	odd := make([]byte, 0, len(buf)/2)
	for i := 1; i < len(buf); i += 2 {
		odd = append(odd, buf[i])
	}
	key, err := pbkdf2.Key(sha256.New, string(odd), nonce, v3PBKDF2Rounds, 32)
	if err != nil {
		panic("securid: internal error: pbkdf2: " + err.Error())
	}
	return key
}

// decryptV3 checks the device-ID and password hashes and the HMAC, then
// decrypts the payload and takes the token's parameters from it.
func (t *Token) decryptV3(password, devid string) error {
	if err := checkPassLen(password); err != nil {
		return err
	}
	raw := t.v3
	if !t.needPass {
		password = ""
	}
	if !t.needDevID {
		devid = ""
	}
	dev := v3DevID(devid)
	nonce := raw[v3OffNonce : v3OffNonce+v3NonceLen]
	h := sha256.Sum256(append(append([]byte{}, nonce...), dev...))
	if t.needDevID && !constantTimeEqual(h[:], raw[v3OffDevIDHash:v3OffPassHash]) {
		return missingOr(ErrBadDeviceID, devid)
	}
	h = sha256.Sum256(append(append(append([]byte{}, nonce...), dev...), password...))
	if t.needPass && !constantTimeEqual(h[:], raw[v3OffPassHash:v3OffNonce]) {
		return missingOr(ErrBadPassword, password)
	}
	mac := hmac.New(sha256.New, v3Derive(password, dev, nonce, 0))
	mac.Write(raw[:v3OffMAC])
	if !hmac.Equal(mac.Sum(nil), raw[v3OffMAC:]) {
		return errors.New("securid: v3 token MAC mismatch: the token is corrupt")
	}
	payload := make([]byte, v3PayloadLen)
	cipher.NewCBCDecrypter(newAES(v3Derive(password, dev, nonce, 1)), nonce).
		CryptBlocks(payload, raw[v3OffPayload:v3OffMAC])
	return t.loadV3Payload(payload)
}

// loadV3Payload fills the token from a decrypted v3 payload.
func (t *Token) loadV3Payload(p []byte) error {
	if !bytes.Equal(p[v3PayPadding:], bytes.Repeat([]byte{0x10}, blockSize)) {
		return errors.New("securid: v3 payload padding is wrong: the token is corrupt")
	}
	serial, _, _ := bytes.Cut(p[v3PaySerial:v3PaySeed], []byte{0})
	if err := checkSerial(string(serial)); err != nil {
		return err
	}
	digits, interval := int(p[v3PayDigits]), int(p[v3PayInterval])
	if digits < 1 || digits > maxDigits || (interval != 30 && interval != 60) {
		return fmt.Errorf("securid: v3 token has %d digits every %d s; want 1 to 8 digits every 30 or 60 s", digits, interval)
	}
	flags := uint16(fl128Bit|flTimeSeeds) | uint16(digits-1)<<fldDigitShift
	if p[v3PayMode] != 0 {
		flags |= flFeat4
	}
	if p[v3PayAddPIN] == v3AddPINOn {
		flags |= 2 << fldPINModeShift
	}
	if interval == 60 {
		flags |= 1 << fldNumSecondsShift
	}
	if t.needPass {
		flags |= flPassProt
	}
	if t.needDevID {
		flags |= flSNProt
	}
	t.flags = flags
	t.expDate = v3ExpDate(p[v3PayExpiry : v3PayExpiry+5])
	copy(t.seed[:], p[v3PaySeed:v3PaySeed+blockSize])
	t.serial = string(serial)
	return nil
}

// v3ExpDate converts a 5-byte tick count since 1970 into days since 2000.
func v3ExpDate(b []byte) uint16 {
	var ticks uint64
	for _, c := range b {
		ticks = ticks<<8 | uint64(c)
	}
	days := int64(ticks/v3TicksPerDay) - 10957 // 1970-01-01 to 2000-01-01
	return uint16(min(max(days, 0), maxExpDate))
}

// checkSerial accepts exactly 12 decimal digits.
func checkSerial(s string) error {
	if len(s) != serialLen || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("securid: serial number must be %d digits", serialLen)
	}
	return nil
}
