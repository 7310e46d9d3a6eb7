// Package tokenspec parses the token secrets a VPN user gives to
// `otpgate code --token-secret`, in every form OpenConnect's --token-secret
// accepts for its totp and hotp modes, plus otpauth:// Key URIs and encrypted
// PSKC (RFC 6030) documents, and writes a spec back with an advanced HOTP
// counter in the form it was given.
//
// Use [Parse] to get a [Spec], generate codes from Spec.Key and Spec.Params
// with package otp, advance Spec.Counter, and call [Spec.Encode] for the text
// to store back (package tokenfile does that atomically for @FILE specs).
//
// # Forms
//
//	SecretSecret!                 raw: the bytes of the string are the key
//	0x53656372657453656372657421  hex (lower-case x, as OpenConnect)
//	base32:KNSWG4TFORJWKY3SMV2CC  base32, padded or not, any case, spaces ignored
//	sha256:FORM                   sha1:, sha256: or sha512: before any form
//	FORM,COUNTER                  HOTP counter: decimal, 0x hex or 0 octal (strtol base 0), written back in the same base
//	otpauth://totp/LABEL?secret=  Key URI: secret, issuer, algorithm, digits, period, counter
//	<?xml ...                     PSKC document, plain or encrypted
//
// # Differences from OpenConnect 9.01
//
// Each is a bug there that would silently produce wrong codes: an otpauth URI
// is parsed instead of being used as a raw key; PSKC ResponseFormat Length,
// TimeInterval and Time are honoured and encrypted values decrypted; the
// algorithm prefix is kept on write-back (OpenConnect drops it and computes the
// next HOTP code with SHA-1); an odd number of hex digits is an error
// (OpenConnect drops the last byte); unpadded base32 is accepted; an empty
// counter is an error. "0X" stays a raw secret as in OpenConnect, with a
// warning, so that a spec that works there gives the same codes here.
package tokenspec

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"otpgate.dev/otpgate/internal/otp"
)

// Mode is the kind of token a spec is for.
type Mode int

const (
	ModeUnknown Mode = iota // infer from the spec (otpauth URI, PSKC)
	TOTP
	HOTP
)

func (m Mode) String() string {
	switch m {
	case TOTP:
		return "totp"
	case HOTP:
		return "hotp"
	}
	return "unknown"
}

// Form is the shape a secret was given in; [Spec.Encode] writes it back the
// same way.
type Form int

const (
	Raw Form = iota
	Hex
	Base32
	OTPAuth
	PSKC
)

func (f Form) String() string {
	return [...]string{"raw", "hex", "base32", "otpauth", "pskc"}[f]
}

// MaxSpecSize bounds a spec, and so a token file, against runaway input.
const MaxSpecSize = 1 << 20

// Spec is a parsed token secret.
type Spec struct {
	Mode    Mode
	Form    Form
	Key     []byte
	Params  otp.Params
	Counter uint64 // HOTP: the counter of the next code

	// DigitsGiven and PeriodGiven report whether the spec itself fixed the
	// digit count or period (otpauth, PSKC), as opposed to the defaults.
	DigitsGiven, PeriodGiven bool

	orig        string      // the spec as parsed, trailing white space removed
	head        string      // raw/hex/base32: the text before the counter, as written
	counterForm counterForm // raw/hex/base32: how the counter was written
	uri         *keyURI     // otpauth
	doc         *pskcSource // PSKC
}

// Options guide Parse.
type Options struct {
	// Mode is the --token-mode. ModeUnknown lets an otpauth URI or a PSKC
	// document say it; other forms then fail with a hint.
	Mode Mode
	// KeyID selects one KeyPackage of a PSKC document by key Id or serial.
	KeyID string
	// Unlock supplies the key (pre-shared, raw bytes) or password for an
	// encrypted PSKC document. names are the key names the document gives.
	Unlock func(names []string) (key, password []byte, err error)
	// Warn receives warnings about a spec that works but is suspicious.
	Warn func(msg string)
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// ErrEmpty is returned for a spec with no secret in it.
var ErrEmpty = errors.New("tokenspec: empty token secret")

// Parse parses s according to o. Trailing white space is ignored, as
// OpenConnect does with token files.
func Parse(s string, o Options) (*Spec, error) {
	if len(s) > MaxSpecSize {
		return nil, fmt.Errorf("tokenspec: token secret is larger than %d bytes", MaxSpecSize)
	}
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if s == "" {
		return nil, ErrEmpty
	}
	spec, err := parse(s, &o)
	if err != nil {
		return nil, err
	}
	spec.orig = s
	return spec, nil
}

func parse(s string, o *Options) (*Spec, error) {
	if isXML(s) {
		return parsePSKC(s, 0, otp.SHA1, false, o)
	}
	alg, algGiven, rest := cutAlgorithm(s)
	switch {
	case isXML(rest):
		return parsePSKC(s, len(s)-len(rest), alg, algGiven, o)
	case hasPrefixFold(rest, "otpauth://"):
		return parseKeyURI(s, len(s)-len(rest), alg, algGiven, o)
	}
	return parseOATH(s, o)
}

// cutAlgorithm removes a case-insensitive sha1:, sha256: or sha512: prefix.
func cutAlgorithm(s string) (otp.Algorithm, bool, string) {
	for _, p := range []struct {
		prefix string
		alg    otp.Algorithm
	}{{"sha1:", otp.SHA1}, {"sha256:", otp.SHA256}, {"sha512:", otp.SHA512}} {
		if hasPrefixFold(s, p.prefix) {
			return p.alg, true, s[len(p.prefix):]
		}
	}
	return otp.SHA1, false, s
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isXML reports whether s is an XML document. Unlike OpenConnect, white space
// or a byte-order mark before "<?xml" does not turn the document into a raw
// HMAC key.
func isXML(s string) bool {
	s = strings.TrimLeftFunc(strings.TrimPrefix(s, "\ufeff"), unicode.IsSpace)
	return strings.HasPrefix(s, "<?xml") || strings.HasPrefix(s, "<KeyContainer")
}

func defaultParams(alg otp.Algorithm) otp.Params {
	p := otp.DefaultParams()
	p.Algorithm = alg
	return p
}

// Encode returns the spec in the form it was given, carrying the current
// Counter. Only HOTP specs change; a TOTP spec encodes as it was parsed.
func (s *Spec) Encode() (string, error) {
	if s.Mode != HOTP {
		return s.orig, nil
	}
	switch s.Form {
	case OTPAuth:
		return s.uri.encode(s.Counter), nil
	case PSKC:
		return s.doc.encode(s.Counter)
	}
	return s.head + "," + s.counterForm.format(s.Counter), nil
}
