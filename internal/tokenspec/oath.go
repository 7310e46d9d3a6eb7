package tokenspec

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// parseOATH handles OpenConnect's own forms: raw, 0x hex and base32:, each
// with an optional algorithm prefix (already cut into alg) and, for HOTP, a
// ",COUNTER" suffix.
func parseOATH(s string, o *Options) (*Spec, error) {
	if o.Mode == ModeUnknown {
		return nil, fmt.Errorf("tokenspec: this token secret does not say whether it is TOTP or HOTP: give --token-mode totp or hotp")
	}
	alg, _, body := cutAlgorithm(s)
	spec := &Spec{Mode: o.Mode, Params: defaultParams(alg), head: s}
	if o.Mode == HOTP {
		if i := strings.LastIndexByte(body, ','); i >= 0 {
			c, form, err := parseCounter(body[i+1:], o)
			if err != nil {
				return nil, err
			}
			spec.Counter, spec.counterForm = c, form
			spec.head = s[:len(s)-len(body)+i]
			body = body[:i]
		}
	}
	var err error
	spec.Form, spec.Key, err = decodeSecret(body, o)
	if err != nil {
		return nil, err
	}
	return spec, nil
}

// parseCounter reads a counter the way C's strtol(s, &end, 0) does, as
// OpenConnect does: leading white space, then decimal, 0x hex or 0 octal, then
// nothing but white space. It also returns how the counter was written, so
// that write-back keeps that form.
func parseCounter(s string, o *Options) (uint64, counterForm, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, counterForm{}, fmt.Errorf("tokenspec: the HOTP counter after the last ',' is empty (accepted: a decimal number, 0x hex or 0-prefixed octal)")
	}
	if t[0] == '-' {
		return 0, counterForm{}, fmt.Errorf("tokenspec: the HOTP counter %q is negative", t)
	}
	form := counterForm{lead: s[:len(s)-len(strings.TrimLeftFunc(s, unicode.IsSpace))]}
	if t[0] == '+' {
		form.lead, t = form.lead+"+", t[1:]
	}
	c, err := strconv.ParseUint(t, 0, 63)
	if err != nil || strings.Contains(t, "_") || strings.HasPrefix(strings.ToLower(t), "0b") || strings.HasPrefix(strings.ToLower(t), "0o") {
		return 0, counterForm{}, fmt.Errorf("tokenspec: the HOTP counter %q is not a number below 2^63 (accepted: decimal, 0x hex or 0-prefixed octal)", t)
	}
	switch {
	case len(t) > 1 && (t[1] == 'x' || t[1] == 'X'):
		form.prefix, form.base = t[:2], 16
		form.upper = strings.ToLower(t[2:]) != t[2:] && strings.ToUpper(t[2:]) == t[2:]
	case len(t) > 1 && t[0] == '0':
		form.prefix, form.base = "0", 8
		o.warn("the HOTP counter %q starts with 0 and is read as octal (%d), as OpenConnect does", t, c)
	}
	return c, form, nil
}

// counterForm is how a ",COUNTER" suffix was written: the white space and
// sign before it, and decimal, "0x"/"0X" hex (in upper or lower case) or
// "0" octal. Its zero value is plain decimal.
type counterForm struct {
	lead, prefix string
	base         int // 0 means 10
	upper        bool
}

// format writes c in the form f.
func (f counterForm) format(c uint64) string {
	base := f.base
	if base == 0 {
		base = 10
	}
	digits := strconv.FormatUint(c, base)
	if f.upper {
		digits = strings.ToUpper(digits)
	}
	return f.lead + f.prefix + digits
}

// decodeSecret decodes the secret part of an OpenConnect spec.
func decodeSecret(s string, o *Options) (Form, []byte, error) {
	switch {
	case hasPrefixFold(s, "base32:"):
		k, err := DecodeBase32(s[len("base32:"):])
		return Base32, k, err
	case strings.HasPrefix(s, "0x"):
		k, err := decodeHex(s[2:])
		return Hex, k, err
	case strings.HasPrefix(s, "0X") && len(s) > 2 && isHex(s[2:]):
		o.warn("%q is not a hex prefix: the secret is used as raw text, as OpenConnect does; write 0x for hex", "0X")
	}
	if s == "" {
		return Raw, nil, ErrEmpty
	}
	return Raw, []byte(s), nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
			return false
		}
	}
	return true
}

func decodeHex(s string) ([]byte, error) {
	if s == "" {
		return nil, ErrEmpty
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("tokenspec: hex secret has an odd number of digits (%d): each byte takes two", len(s))
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("tokenspec: hex secret after 0x has a character that is not 0-9, a-f or A-F")
	}
	return k, nil
}

// DecodeBase32 decodes RFC 4648 base32 in any case, with or without '='
// padding, ignoring spaces, as authenticator apps print it.
func DecodeBase32(s string) ([]byte, error) {
	t := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s))
	t = strings.TrimRight(t, "=")
	if t == "" {
		return nil, ErrEmpty
	}
	k, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(t)
	if n := len(t) % 8; err != nil || n == 1 || n == 3 || n == 6 {
		return nil, fmt.Errorf("tokenspec: invalid base32 secret (accepted: letters A-Z and digits 2-7, any case, '=' padding optional)")
	}
	return k, nil
}
