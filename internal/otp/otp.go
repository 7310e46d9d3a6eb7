// Package otp implements the HMAC-based one-time password algorithm (HOTP) of
// RFC 4226 and its time-based variant (TOTP) of RFC 6238, with HMAC-SHA1,
// HMAC-SHA256 and HMAC-SHA512 and 6 to 10 digits.
//
// Use [Generate] to compute the code for one counter (for TOTP, the counter is
// the time step from [Params.Step]) and [Verify] to check a code over a window
// of counters. Verify reports which counter matched, so that a server can
// persist it and refuse that counter and every one below it afterwards
// (RFC 4226 section 7.2, RFC 6238 section 5.2).
//
// [RFC 4226]: https://www.rfc-editor.org/rfc/rfc4226
// [RFC 6238]: https://www.rfc-editor.org/rfc/rfc6238
package otp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// Algorithm is the HMAC hash function of a token. The zero value is SHA1, the
// default of both RFCs.
type Algorithm int

const (
	SHA1 Algorithm = iota
	SHA256
	SHA512
)

// Limits and defaults from RFC 4226 section 5.3 and RFC 6238 section 4.
const (
	MinDigits     = 6
	MaxDigits     = 10
	DefaultDigits = 6
	DefaultPeriod = 30 * time.Second
)

var pow10 = [MaxDigits + 1]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// String returns the name used in otpauth URIs: "SHA1", "SHA256" or "SHA512".
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

// ParseAlgorithm accepts "SHA1", "SHA256" or "SHA512" in any case, with or
// without a dash after "SHA".
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ReplaceAll(strings.ToUpper(s), "-", "") {
	case "SHA1":
		return SHA1, nil
	case "SHA256":
		return SHA256, nil
	case "SHA512":
		return SHA512, nil
	}
	return 0, fmt.Errorf("otp: unknown algorithm %q (accepted: SHA1, SHA256, SHA512)", s)
}

func (a Algorithm) hash() func() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	}
	return sha1.New
}

// Params describe how codes are computed from a key. The zero value is not
// valid; use [Params.Validate] or fill every field. T0 and Period matter only
// for TOTP.
type Params struct {
	Algorithm Algorithm
	Digits    int
	Period    time.Duration // TOTP time step X, RFC 6238 section 4.1
	T0        int64         // TOTP start time in Unix seconds
}

// DefaultParams returns the defaults of both RFCs: SHA-1, six digits, 30 s, T0 = 0.
func DefaultParams() Params {
	return Params{Algorithm: SHA1, Digits: DefaultDigits, Period: DefaultPeriod}
}

// ErrDigits is returned for a digit count outside [MinDigits, MaxDigits].
var ErrDigits = errors.New("otp: digits must be between 6 and 10")

// Validate reports whether p can be used to generate codes.
func (p Params) Validate() error {
	if p.Digits < MinDigits || p.Digits > MaxDigits {
		return ErrDigits
	}
	if p.Algorithm < SHA1 || p.Algorithm > SHA512 {
		return fmt.Errorf("otp: unknown algorithm %d", int(p.Algorithm))
	}
	if p.Period < time.Second || p.Period%time.Second != 0 {
		return errors.New("otp: period must be a whole number of seconds, at least 1")
	}
	return nil
}

// Step returns the TOTP counter T = floor((unix(t) - T0) / X) of RFC 6238
// section 4.2. Times before T0 give step 0.
func (p Params) Step(t time.Time) uint64 {
	secs := t.Unix() - p.T0
	if secs < 0 {
		return 0
	}
	return uint64(secs) / uint64(p.Period/time.Second)
}

// StepStart returns the first instant of TOTP step n.
func (p Params) StepStart(n uint64) time.Time {
	return time.Unix(p.T0+int64(n)*int64(p.Period/time.Second), 0).UTC()
}

// Generate returns the code for counter c: HOTP(K, C) of RFC 4226 section 5.3,
// zero-padded to p.Digits. It panics if p.Digits is out of range; callers
// validate parameters when they parse them.
func Generate(key []byte, c uint64, p Params) string {
	return format(truncate(key, c, p.Algorithm), p.Digits)
}

// truncate computes HMAC(K, C) and applies dynamic truncation (RFC 4226
// section 5.3), returning the 31-bit value.
func truncate(key []byte, c uint64, a Algorithm) uint32 {
	m := hmac.New(a.hash(), key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], c)
	m.Write(msg[:])
	var buf [sha512.Size]byte
	sum := m.Sum(buf[:0])
	off := sum[len(sum)-1] & 0x0f
	return binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
}

func format(v uint32, digits int) string {
	var b [MaxDigits]byte
	return string(formatTo(b[:digits], v))
}

// formatTo writes v mod 10^len(b) into b as zero-padded decimal digits.
func formatTo(b []byte, v uint32) []byte {
	n := uint64(v) % pow10[len(b)]
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}
