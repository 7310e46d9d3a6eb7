// Package importer reads and writes the token files that other OATH and
// Yubico OTP servers keep, so that their users can move to otpgate without
// re-enrolling a token:
//
//   - the users file of pam_oath and ocserv (liboath's UsersFile format):
//     [ParseUsersFile], [WriteUsersFile];
//   - a ~/.google_authenticator file of libpam-google-authenticator:
//     [ParseGoogleAuthenticator];
//   - the configuration log of the YubiKey Personalization Tool, in its
//     Traditional and Yubico formats: [ParseYubicoCSV];
//   - the pickle database of the older OpenVPN TOTP script
//     (openvpn_pam_totp.py), read as data and never executed: [ParsePickle];
//   - lists of otpauth:// Key URIs: [ParseURIs], [WriteURIs];
//   - PSKC containers (RFC 6030), plain or encrypted: [ParsePSKC],
//     [WritePSKC].
//
// Every parser returns neutral [Record] values that the caller stores. Each
// call is all-or-nothing: the first malformed entry fails the whole call with
// an [*Error] that names the line (or byte offset) and says what is wrong and
// what is accepted, and no records are returned. Errors never contain a
// secret, a PIN or a code, nor any other field of the input, because a
// misaligned line can put a secret in any column. Inputs are read in a
// streaming fashion with bounded lines ([MaxLineLength]) and a bounded number
// of records ([MaxRecords]).
package importer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"otpgate.dev/otpgate/internal/otp"
)

// Token types of a [Record], as otpgate enrolls them.
const (
	TypeTOTP         = "totp"
	TypeHOTP         = "hotp"
	TypeHOTPPrefixed = "hotp-prefixed" // HOTP whose code is typed after Identifier
	TypeYubico       = "yubico"        // Yubico OTP
)

// Limits against runaway or hostile input.
const (
	MaxLineLength = 64 << 10   // bytes in one line of a text format
	MaxRecords    = 10_000_000 // records in one file
	MaxSecretSize = 128        // bytes of one decoded secret
	MaxUserLength = 256        // bytes of one user name
)

// Record is one token read from, or to be written to, a file. Fields that a
// format does not carry are zero.
type Record struct {
	// User is the account the token belongs to. It is empty for formats
	// that do not name one (a ~/.google_authenticator file, a YubiKey
	// configuration log): the caller assigns it.
	User string
	// Type is TypeTOTP, TypeHOTP, TypeHOTPPrefixed or TypeYubico.
	Type string
	// Secret is the HMAC key, or for Yubico OTP the 16-byte AES key.
	Secret []byte
	// Algorithm, Digits and Period (TOTP step, seconds) are the OATH
	// parameters; zero for Yubico OTP.
	Algorithm otp.Algorithm
	Digits    int
	Period    int
	// Counter is, for HOTP, the counter of the next code to accept; for
	// TOTP, the last time step already used (codes of that step and before
	// must be refused), 0 when the file does not say.
	Counter uint64
	// Drift is, for TOTP, how many steps the token's clock runs ahead of
	// the server's (google-authenticator TIME_SKEW, PSKC TimeDrift).
	Drift int
	// Identifier is what the token types before its code: for
	// TypeHOTPPrefixed the OATH token identifier, for TypeYubico the
	// public id in modhex.
	Identifier string
	// PrivateID is the 6-byte private id of a Yubico OTP token.
	PrivateID []byte
	// Serial is the device's serial number when the file gives one; with
	// no User, it is what a caller maps to a user.
	Serial string
	// PIN is a password the server checks before the code (a pam_oath
	// users file password); nil when there is none.
	PIN []byte
	// RecoveryCodes are single-use codes that stand in for the token's
	// (google-authenticator's scratch codes); secret like Secret.
	RecoveryCodes []string
	// Issuer and Comment are free text for the administrator.
	Issuer, Comment string
	// Line is where the record starts in the source: its line number, or
	// for a pickle or PSKC container its 1-based position.
	Line int
	// Warnings say what the source held for this token that is not
	// imported, one sentence each, for the administrator: nothing is
	// dropped without a word.
	Warnings []string
}

// Error reports a malformed input. It never holds secret material.
type Error struct {
	Format string // "users file", "pickle", ...
	Line   int    // 1-based line; 0 when Offset or Entry says where
	Offset int64  // byte offset, for binary formats
	Entry  int    // 1-based record or key number, for structured formats
	Msg    string // what is wrong and what is accepted
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("importer: %s line %d: %s", e.Format, e.Line, e.Msg)
	case e.Entry > 0:
		return fmt.Sprintf("importer: %s entry %d: %s", e.Format, e.Entry, e.Msg)
	case e.Offset > 0:
		return fmt.Sprintf("importer: %s byte %d: %s", e.Format, e.Offset, e.Msg)
	}
	return fmt.Sprintf("importer: %s: %s", e.Format, e.Msg)
}

// errTooMany is the message for a file over MaxRecords.
var errTooMany = fmt.Sprintf("more than %d records in one file (split it)", MaxRecords)

// longRun matches what could be a secret: a long run of letters and digits.
var longRun = regexp.MustCompile(`[A-Za-z0-9]{12,}`)

// quotesInput reports whether msg, an error from another package, quotes
// what could be a secret in input.
func quotesInput(msg, input string) bool {
	for _, tok := range longRun.FindAllString(input, -1) {
		if strings.Contains(msg, tok) {
			return true
		}
	}
	return false
}

// checkUser reports what is wrong with a user name, or "".
func checkUser(u string) string {
	switch {
	case u == "":
		return "the user name is empty"
	case len(u) > MaxUserLength:
		return fmt.Sprintf("the user name is longer than %d bytes", MaxUserLength)
	case !utf8.ValidString(u):
		return "the user name is not valid UTF-8"
	case strings.IndexFunc(u, unicode.IsControl) >= 0:
		return "the user name contains a control character"
	}
	return ""
}

// checkSecret reports what is wrong with a decoded secret, or "".
func checkSecret(s []byte) string {
	switch {
	case len(s) == 0:
		return "the secret is empty"
	case len(s) > MaxSecretSize:
		return fmt.Sprintf("the secret is longer than %d bytes", MaxSecretSize)
	}
	return ""
}

// validate checks that r is a complete token of a known type, for the
// writers; formats that need a user check it themselves. It reports what is
// wrong, or "".
func (r *Record) validate() string {
	if msg := checkSecret(r.Secret); msg != "" {
		return msg
	}
	switch r.Type {
	case TypeTOTP:
		if r.Period < 1 || r.Period > 86400 {
			return "the TOTP period is not 1 to 86400 seconds"
		}
		fallthrough
	case TypeHOTP, TypeHOTPPrefixed:
		if r.Digits < otp.MinDigits || r.Digits > otp.MaxDigits {
			return "the digit count is not 6 to 10"
		}
		if r.Algorithm < otp.SHA1 || r.Algorithm > otp.SHA512 {
			return "the algorithm is not SHA1, SHA256 or SHA512"
		}
	case TypeYubico:
		if len(r.Secret) != 16 || len(r.PrivateID) != 6 || r.Identifier == "" {
			return "a Yubico OTP token needs a 16-byte AES key, a 6-byte private id and a public id"
		}
	default:
		return "the token type is not totp, hotp, hotp-prefixed or yubico"
	}
	return ""
}

// recordError is the error of a writer for records[i].
func recordError(format string, i int, msg string) error {
	return &Error{Format: format, Entry: i + 1, Msg: msg}
}
