package importer

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// The users file of pam_oath and ocserv is liboath's UsersFile format
// (liboath/usersfile.c, oath-toolkit 2.6): one token per line,
//
//	TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP [TIME]]]
//
// separated by any run of spaces, tabs or carriage returns. TYPE is HOTP,
// HOTP/E, HOTP/E/D, HOTP/T30, HOTP/T30/D, HOTP/T60 or HOTP/T60/D with D = 6,
// 7 or 8 digits; /Tn means TOTP with an n-second step. PASSWORD is "-" for
// none, "+" for one checked by another PAM module, else the password itself.
// HEXSECRET is at most 32 bytes (liboath's buffer). After a login pam_oath
// rewrites the line with the counter of the code it accepted, that code, and
// the local time as 2006-01-02T15:04:05L.
const (
	usersFileFormat    = "users file"
	usersFileMaxSecret = 32
	usersFileTime      = "2006-01-02T15:04:05L"
	usersFileSpace     = " \t\r\n" // liboath's strtok separators
)

// usersFileTypes maps the TYPE field to digits and TOTP step (0 for HOTP).
var usersFileTypes = map[string]struct{ digits, step int }{
	"HOTP": {6, 0}, "HOTP/E": {6, 0}, "HOTP/E/6": {6, 0}, "HOTP/E/7": {7, 0}, "HOTP/E/8": {8, 0},
	"HOTP/T30": {6, 30}, "HOTP/T30/6": {6, 30}, "HOTP/T30/7": {7, 30}, "HOTP/T30/8": {8, 30},
	"HOTP/T60": {6, 60}, "HOTP/T60/6": {6, 60}, "HOTP/T60/7": {7, 60}, "HOTP/T60/8": {8, 60},
}

const usersFileTypeList = "HOTP, HOTP/E, HOTP/E/6-8, HOTP/T30, HOTP/T30/6-8, HOTP/T60, HOTP/T60/6-8"

// ParseUsersFile reads a pam_oath/ocserv users file. Blank lines and lines
// starting with '#' are skipped; every other line must be a token (pam_oath
// silently skips lines it cannot read, which hides typos; an import does not).
//
// HOTP Counter is the counter of the next code pam_oath would accept: the
// COUNTER field, plus one when a LASTOTP field shows that pam_oath already
// accepted the code at COUNTER. pam_oath keeps no usable step for TOTP, so
// TOTP Counter is 0. A password becomes Record.PIN; "-" and "+" give none.
func ParseUsersFile(r io.Reader) ([]Record, error) {
	return parseLines(usersFileFormat, r, func(line []byte) (Record, bool, string) {
		rec, msg := parseUsersFileLine(line)
		return rec, false, msg
	})
}

// parseUsersFileLine parses one token line, or says what is wrong with it.
func parseUsersFileLine(line []byte) (Record, string) {
	f := strings.FieldsFunc(string(line), func(r rune) bool { return strings.ContainsRune(usersFileSpace, r) })
	if len(f) < 4 || len(f) > 7 {
		return Record{}, fmt.Sprintf("%d fields; want TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP [TIME]]]", len(f))
	}
	t, ok := usersFileTypes[f[0]]
	if !ok {
		return Record{}, "field 1 is not a token type (accepted: " + usersFileTypeList + ")"
	}
	rec := Record{Type: TypeHOTP, Algorithm: otp.SHA1, Digits: t.digits}
	if t.step != 0 {
		rec.Type, rec.Period = TypeTOTP, t.step
	}
	rec.User = f[1]
	if msg := checkUser(rec.User); msg != "" {
		return Record{}, "field 2: " + msg
	}
	if f[2] != "-" && f[2] != "+" {
		rec.PIN = []byte(f[2])
	}
	secret, err := hex.DecodeString(f[3])
	if err != nil || len(secret) == 0 || len(secret) > usersFileMaxSecret {
		return Record{}, fmt.Sprintf("field 4 is not a secret of 1 to %d bytes in hex (an even number of 0-9, a-f, A-F)", usersFileMaxSecret)
	}
	rec.Secret = secret
	if msg := parseUsersFileState(&rec, f[4:]); msg != "" {
		return Record{}, msg
	}
	return rec, ""
}

// parseUsersFileState reads the optional COUNTER, LASTOTP and TIME fields.
func parseUsersFileState(rec *Record, f []string) string {
	if len(f) == 0 {
		return ""
	}
	c, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil || !isDigits(f[0]) {
		return "field 5 is not a counter (a decimal number below 2^64)"
	}
	if len(f) >= 2 {
		if !isDigits(f[1]) || len(f[1]) < otp.MinDigits || len(f[1]) > otp.MaxDigits {
			return "field 6 is not the last one-time password (6 to 10 decimal digits)"
		}
		if c == ^uint64(0) {
			return "field 5: the counter is at its maximum and cannot advance"
		}
		// pam_oath wrote the counter of the code it accepted: the next
		// acceptable one is the one after.
		c++
	}
	if len(f) == 3 {
		if _, err := time.ParseInLocation(usersFileTime, f[2], time.Local); err != nil {
			return "field 7 is not the last login time (YYYY-MM-DDTHH:MM:SSL, as pam_oath writes it)"
		}
	}
	if rec.Type == TypeHOTP {
		rec.Counter = c
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// WriteUsersFile writes records as a pam_oath/ocserv users file that
// pam_oath reads back as the same tokens. Only what liboath supports can be
// written: HOTP or TOTP, SHA-1, 6 to 8 digits, a TOTP period of 30 or 60
// seconds, a secret of at most 32 bytes, and user names and PINs without
// white space. Anything else fails the whole call before anything is
// written, with the 1-based number of the offending record.
func WriteUsersFile(w io.Writer, records []Record) error {
	var b bytes.Buffer
	for i := range records {
		if err := appendUsersFileLine(&b, &records[i]); err != nil {
			return recordError(usersFileFormat, i, err.Error())
		}
	}
	_, err := w.Write(b.Bytes())
	if err != nil {
		return fmt.Errorf("importer: write users file: %w", err)
	}
	return nil
}

// appendUsersFileLine writes one record, or says why it cannot.
func appendUsersFileLine(b *bytes.Buffer, r *Record) error {
	typ, err := usersFileType(r)
	if err != nil {
		return err
	}
	switch {
	case strings.ContainsAny(r.User, usersFileSpace):
		return fmt.Errorf("the user name contains white space, which the users file cannot hold")
	case len(r.Secret) > usersFileMaxSecret:
		return fmt.Errorf("the secret is longer than the %d bytes pam_oath reads", usersFileMaxSecret)
	}
	pin, err := usersFilePIN(r.PIN)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "%s\t%s\t%s\t%x", typ, r.User, pin, r.Secret)
	if r.Type == TypeHOTP {
		fmt.Fprintf(b, "\t%d", r.Counter)
	}
	b.WriteByte('\n')
	return nil
}

// usersFileType returns the TYPE field for r.
func usersFileType(r *Record) (string, error) {
	if msg := r.validate(); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	if msg := checkUser(r.User); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	if r.Algorithm != otp.SHA1 {
		return "", fmt.Errorf("the algorithm is %v; pam_oath computes HMAC-SHA1 only", r.Algorithm)
	}
	if r.Digits > 8 {
		return "", fmt.Errorf("%d digits; pam_oath supports 6, 7 or 8", r.Digits)
	}
	switch {
	case r.Type == TypeHOTP:
		return fmt.Sprintf("HOTP/E/%d", r.Digits), nil
	case r.Type == TypeTOTP && (r.Period == 30 || r.Period == 60):
		return fmt.Sprintf("HOTP/T%d/%d", r.Period, r.Digits), nil
	case r.Type == TypeTOTP:
		return "", fmt.Errorf("TOTP period of %d seconds; pam_oath supports 30 or 60", r.Period)
	}
	return "", fmt.Errorf("a %s token cannot be written to a users file (accepted: hotp, totp)", r.Type)
}

// usersFilePIN returns the PASSWORD field for pin.
func usersFilePIN(pin []byte) (string, error) {
	switch {
	case pin == nil:
		return "-", nil
	case len(pin) == 0, bytes.ContainsAny(pin, usersFileSpace), bytes.IndexByte(pin, 0) >= 0:
		return "", fmt.Errorf("the PIN is empty or contains white space, which the users file cannot hold")
	case string(pin) == "-", string(pin) == "+":
		return "", fmt.Errorf("the PIN is one of the users file's markers - or +, which pam_oath would not read as a password")
	}
	return string(pin), nil
}
