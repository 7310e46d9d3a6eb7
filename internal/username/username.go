// Package username is the one rule for the login names otpgate accepts,
// wherever a name enters: enroll and import, the admin commands that look a
// user up, RADIUS User-Name (RFC 2865 section 5.1), the OpenVPN username,
// and the login service.
//
// A name is what VPN clients, NASes and directories send: "alice",
// "EXAMPLE\alice", "alice@example.org", "Zoë Smith". It is UTF-8 (RFC 3629)
// in Unicode Normalization Form C (UAX #15), 1 to [MaxLen] bytes, made of
// letters, marks, digits, punctuation, symbols and the space U+0020, and
// does not begin or end with a space. Control characters (a newline, an
// escape sequence), format characters (bidirectional overrides, zero-width
// joiners), other spaces, private-use and unassigned code points are
// refused: they would let one name look like another in a list or an audit
// line, or drive the terminal that prints it.
//
// Use [Canonical] where a name arrives from outside, and store and compare
// what it returns: "é" typed as one code point or as "e" and a combining
// accent is one name. [Check] is for a name that must be canonical already.
// [Quote] prints any string, stored before these rules or not, so that a
// terminal shows what it is.
package username

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxLen is the longest name in bytes: the most a RADIUS User-Name can
// carry (RFC 2865 section 5: an attribute holds at most 253 octets), and
// longer than any account name OpenVPN or a directory sends.
const MaxLen = 253

// ErrInvalid is wrapped by every refusal.
var ErrInvalid = errors.New("username: invalid")

// Canonical returns name in Normalization Form C, or an error wrapping
// [ErrInvalid] that says which rule it breaks.
func Canonical(name string) (string, error) {
	if len(name) > 4*MaxLen {
		return "", refuse(name, fmt.Sprintf("is %d bytes long (at most %d)", len(name), MaxLen))
	}
	if !utf8.ValidString(name) {
		return "", refuse(name, "is not UTF-8")
	}
	c := norm.NFC.String(name)
	if err := check(c); err != nil {
		return "", err
	}
	return c, nil
}

// Check reports whether name is a canonical name: one that [Canonical]
// returns unchanged.
func Check(name string) error {
	if !utf8.ValidString(name) {
		return refuse(name, "is not UTF-8")
	}
	if err := check(name); err != nil {
		return err
	}
	if !norm.NFC.IsNormalString(name) {
		return refuse(name, "is not in Unicode Normalization Form C")
	}
	return nil
}

// check applies every rule but the normal form to valid UTF-8.
func check(name string) error {
	switch {
	case name == "":
		return refuse(name, "is empty")
	case len(name) > MaxLen:
		return refuse(name, fmt.Sprintf("is %d bytes long (at most %d)", len(name), MaxLen))
	case name[0] == ' ' || name[len(name)-1] == ' ':
		return refuse(name, "begins or ends with a space")
	}
	for _, r := range name {
		if !allowed(r) {
			return refuse(name, fmt.Sprintf("holds %U, which is not a letter, mark, digit, punctuation, symbol or space", r))
		}
	}
	return nil
}

// allowed reports whether r may appear in a name.
func allowed(r rune) bool {
	return r == ' ' || unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

func refuse(name, why string) error {
	return fmt.Errorf("%w: the name %s %s (accepted: UTF-8 letters, digits, punctuation, symbols and inner spaces, 1 to %d bytes)",
		ErrInvalid, short(name), why, MaxLen)
}

// short quotes name for an error, cut to a length a log line can hold.
func short(name string) string {
	const max = 48
	if len(name) <= max {
		return strconv.Quote(name)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strconv.Quote(name[:cut]) + "..."
}

// Quote returns s as a terminal or a table should show it: s itself when it
// is a canonical name that does not begin with a double quote, otherwise s
// as a double-quoted Go string literal, in which control characters,
// invisible characters and invalid bytes appear as escapes. A quoted name
// can be told apart from a plain one because no plain one begins with '"'.
func Quote(s string) string {
	if s != "" && s[0] != '"' && Check(s) == nil {
		return s
	}
	return strconv.Quote(s)
}
