package ykoath

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// Type is the OATH type, the high nibble of the applet's type byte.
type Type byte

const (
	HOTP Type = 0x10
	TOTP Type = 0x20
)

func (t Type) String() string {
	switch t {
	case HOTP:
		return "HOTP"
	case TOTP:
		return "TOTP"
	}
	return fmt.Sprintf("Type(%#02x)", byte(t))
}

// DefaultPeriod is the TOTP period of a credential whose ID has no
// "period/" prefix.
const DefaultPeriod = 30 * time.Second

// maxPeriod bounds the period prefix; longer ones are treated as invalid.
const maxPeriod = 1<<32 - 1

// Credential is one credential listed by the applet.
type Credential struct {
	// ID is the credential's name on the card, as stored; ykman writes
	// "[period/][issuer:]name".
	ID string
	// Issuer, Name and Period are parsed from ID by ParseID.
	Issuer, Name string
	// Period is the TOTP time step; 0 for HOTP, and 0 for a TOTP ID whose
	// period prefix is 0 or too large to use.
	Period    time.Duration
	Type      Type
	Algorithm otp.Algorithm
}

// ParseID splits a credential ID the way ykman does. For TOTP it matches
// "^((\d+)/)?(([^:]+):)?(.+)$", so the period prefix needs a non-empty rest
// and the issuer ends at the first colon; an ID without a prefix has the
// DefaultPeriod. For HOTP, the issuer is everything before the first colon
// and the period is 0. Digits are ASCII only; a period that is 0 or does
// not fit 32 bits gives period 0.
func ParseID(id string, t Type) (issuer, name string, period time.Duration) {
	if t != TOTP {
		if i := strings.IndexByte(id, ':'); i >= 0 {
			return id[:i], id[i+1:], 0
		}
		return "", id, 0
	}
	rest, ok := trimRegexpEnd(id)
	if !ok {
		return "", id, DefaultPeriod
	}
	period = DefaultPeriod
	if i := strings.IndexFunc(rest, notDigit); i > 0 && rest[i] == '/' && i+1 < len(rest) {
		period = periodOf(rest[:i])
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, ':'); i > 0 && i+1 < len(rest) {
		return rest[:i], rest[i+1:], period
	}
	return "", rest, period
}

// trimRegexpEnd mirrors two details of Python's re: "." does not match a
// newline, and "$" also matches before one final newline. An ID with any
// other newline does not match ykman's pattern at all.
func trimRegexpEnd(id string) (string, bool) {
	s := strings.TrimSuffix(id, "\n")
	return s, s != "" && !strings.Contains(s, "\n")
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

func periodOf(digits string) time.Duration {
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 || n > maxPeriod {
		return 0
	}
	return time.Duration(n) * time.Second
}

// FormatID builds a credential ID the way ykman does: "period/" only for a
// TOTP period other than 30 s, "issuer:" only for a non-empty issuer.
func FormatID(issuer, name string, t Type, period time.Duration) string {
	var b strings.Builder
	if t == TOTP && period != 0 && period != DefaultPeriod {
		fmt.Fprintf(&b, "%d/", int64(period/time.Second))
	}
	if issuer != "" {
		b.WriteString(issuer)
		b.WriteByte(':')
	}
	b.WriteString(name)
	return b.String()
}

// List returns every credential on the applet (LIST), in the applet's order.
func (s *Session) List() ([]Credential, error) {
	resp, err := exchange(s.card, InsList, 0x00, 0x00, nil)
	if err != nil {
		return nil, fmt.Errorf("ykoath: list: %w", err)
	}
	creds, err := parseList(resp)
	if err != nil {
		return nil, fmt.Errorf("ykoath: list: malformed response: %w", err)
	}
	return creds, nil
}

// parseList decodes LIST: a NAME_LIST TLV per credential holding the type
// byte and the ID.
func parseList(b []byte) ([]Credential, error) {
	tlvs, err := parseTLVs(b)
	if err != nil {
		return nil, err
	}
	creds := make([]Credential, 0, len(tlvs))
	for i, t := range tlvs {
		if t.tag != TagNameList {
			return nil, fmt.Errorf("entry %d: tag %02x, want %02x", i, t.tag, TagNameList)
		}
		if len(t.value) < 2 {
			return nil, fmt.Errorf("entry %d: empty credential ID", i)
		}
		typ, alg, err := parseTypeByte(t.value[0])
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		c := Credential{ID: string(t.value[1:]), Type: typ, Algorithm: alg}
		c.Issuer, c.Name, c.Period = ParseID(c.ID, typ)
		creds = append(creds, c)
	}
	return creds, nil
}

// parseTypeByte splits the applet's type byte: OATH type in the high
// nibble, hash in the low one (01 SHA-1, 02 SHA-256, 03 SHA-512).
func parseTypeByte(b byte) (Type, otp.Algorithm, error) {
	t := Type(b & 0xf0)
	if t != HOTP && t != TOTP {
		return 0, 0, fmt.Errorf("type byte %02x: unknown OATH type (accepted: 1x HOTP, 2x TOTP)", b)
	}
	switch b & 0x0f {
	case 0x01:
		return t, otp.SHA1, nil
	case 0x02:
		return t, otp.SHA256, nil
	case 0x03:
		return t, otp.SHA512, nil
	}
	return 0, 0, fmt.Errorf("type byte %02x: unknown hash (accepted: x1 SHA-1, x2 SHA-256, x3 SHA-512)", b)
}

// typeByte is the inverse of parseTypeByte.
func typeByte(t Type, a otp.Algorithm) (byte, error) {
	if t != HOTP && t != TOTP {
		return 0, fmt.Errorf("unknown OATH type %s (accepted: HOTP, TOTP)", t)
	}
	if a < otp.SHA1 || a > otp.SHA512 {
		return 0, fmt.Errorf("unknown algorithm %s (accepted: SHA1, SHA256, SHA512)", a)
	}
	return byte(t) | (byte(a) + 1), nil
}
