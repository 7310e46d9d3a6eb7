package oob

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Limits on addresses: RFC 5321 section 4.5.3.1 bounds a path to 256
// octets; E.164 numbers have at most 15 digits.
const (
	maxMailAddress = 254
	minPhoneDigits = 6
	maxPhoneDigits = 15
)

// ParseAddress checks addr as the address of a token of channel ch and
// returns it in the form it is stored and sent to. Its errors do not quote
// addr, which may reach a log. An email address is a
// bare addr-spec (user@example.org: no display name, no comment). An SMS
// address is an email-to-SMS alias such as 5551234567@sms.example.net, or a
// phone number: an optional +, then 6 to 15 digits, where spaces, dots,
// dashes and parentheses are dropped (+1 (555) 123-4567 is +15551234567).
func ParseAddress(ch Channel, addr string) (string, error) {
	switch ch {
	case Email:
		return parseMail(addr)
	case SMS:
		if strings.Contains(addr, "@") {
			return parseMail(addr)
		}
		return parsePhone(addr)
	}
	return "", fmt.Errorf("oob: channel %q (accepted: email, sms)", ch)
}

func parseMail(addr string) (string, error) {
	if len(addr) > maxMailAddress {
		return "", fmt.Errorf("oob: mail address of %d bytes (accepted: at most %d)", len(addr), maxMailAddress)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || strings.Count(addr, "@") != 1 || hasControl(addr) {
		return "", errors.New("oob: not a mail address (accepted: user@example.org, without a name or brackets)")
	}
	return addr, nil
}

func parsePhone(addr string) (string, error) {
	var b strings.Builder
	for i, r := range addr {
		switch {
		case r >= '0' && r <= '9', r == '+' && i == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" .-()", r):
		default:
			return "", errors.New("oob: not a phone number or an email-to-SMS address (accepted: +15551234567, 5551234567@sms.example.net)")
		}
	}
	n := strings.TrimPrefix(b.String(), "+")
	if len(n) < minPhoneDigits || len(n) > maxPhoneDigits {
		return "", fmt.Errorf("oob: a phone number of %d digits (accepted: %d to %d)", len(n), minPhoneDigits, maxPhoneDigits)
	}
	return b.String(), nil
}

// isMail reports whether a parsed address goes by email.
func isMail(addr string) bool { return strings.Contains(addr, "@") }

// hasControl reports whether s holds an ASCII control character, which
// would end a header line or an SMTP command.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
