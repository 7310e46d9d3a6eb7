package importer

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// The YubiKey Personalization Tool logs every key it programs to a CSV file
// (yubikey-personalization-gui, src/yubikeylogger.cpp), in one of two
// formats chosen in its settings.
//
// The Traditional format, after a "LOGGING START,time" line, has 18 columns:
//
//	EVENT,LOCAL TIME,SLOT,PUBLIC ID,PRIVATE ID,KEY,CURRENT ACCESS CODE,
//	NEW ACCESS CODE,OATH FIXED MODHEX1,OATH FIXED MODHEX2,OATH FIXED MODHEX,
//	HOTP DIGITS,MOVING FACTOR,STRONG PW1,STRONG PW2,SEND REF,CHAL BTN TRIG,
//	HMAC LT64
//
// where EVENT is "Yubico OTP", "OATH-HOTP", "Static Password", ... The local
// time is in the system's short date format, which may itself contain a
// comma, so the columns after it are counted from the end of the line.
//
// The Yubico format has 7 columns, the last one empty:
//
//	SERIAL,PUBLIC ID,PRIVATE ID,KEY,ACCESS CODE,yyyy-MM-ddThh:mm:ss,
//
// where, for an OATH-HOTP row, the PRIVATE ID column holds the moving factor
// instead, for a challenge-response HMAC row "0", and for a static password
// nothing.
const (
	yubicoFormat     = "Yubico log"
	yubicoTradCols   = 18
	yubicoTailCols   = 16 // columns after the local time
	yubicoFixedTime  = "2006-01-02T15:04:05"
	yubicoOATHIDSize = 6 // bytes of an OATH token identifier
)

// yubicoSkipped are the Traditional events that program no OTP token.
var yubicoSkipped = map[string]bool{
	"LOGGING START": true, "Static Password": true, "Static Password: Short": true,
	"Static Password: Scan Code": true, "Challenge-Response: Yubico OTP": true,
	"Challenge-Response: HMAC-SHA1": true, "Configuration Update": true,
	"Configuration Swap": true, "Unknown programming mode": true,
}

// ParseYubicoCSV reads a YubiKey Personalization Tool log, in the
// Traditional or the Yubico format (both may be mixed in one file). Yubico
// OTP rows become TypeYubico records, OATH-HOTP rows TypeHOTP, or
// TypeHOTPPrefixed when the key was given a token identifier. Rows of static
// passwords, challenge-response and configuration updates are skipped: they
// program no token a server verifies. The log names no user, so
// Record.User is empty and the caller assigns one, by public id or by
// Serial (which only the Yubico format records); Comment says which YubiKey
// slot or serial number the row is for.
//
// The Yubico format does not record the HOTP length nor how the token
// identifier is typed. Its OATH-HOTP rows are read as 6 digits with the
// standard identifier (two modhex bytes, then eight digits: the tool's Quick
// page and ykpersonalize's oath-id), and Comment says so; an identifier that
// cannot be in the standard form is an error. An OATH-HOTP row without an
// identifier and with moving factor 0 looks the same as a challenge-response
// HMAC row in this format, and is read as OATH-HOTP. The Traditional format
// records all of this and is read exactly.
func ParseYubicoCSV(r io.Reader) ([]Record, error) {
	return parseLines(yubicoFormat, r, func(line []byte) (Record, bool, string) {
		return parseYubicoRow(strings.Split(strings.TrimRight(string(line), " \t"), ","))
	})
}

// parseYubicoRow reads one row of either format. It reports skip for rows
// that hold no OTP token, or says what is wrong.
func parseYubicoRow(f []string) (rec Record, skip bool, msg string) {
	event := strings.TrimSpace(f[0])
	switch {
	case yubicoSkipped[event]:
		return Record{}, true, ""
	case event == "Yubico OTP" || event == "OATH-HOTP":
		if len(f) < yubicoTradCols {
			return Record{}, false, fmt.Sprintf("a %s row has %d columns; the Traditional format has %d", event, len(f), yubicoTradCols)
		}
		rec, msg = parseYubicoTraditional(event, f[len(f)-yubicoTailCols:])
		return rec, false, msg
	case len(f) == 7 && strings.TrimSpace(f[6]) == "" && (event == "" || isDigits(event)):
		return parseYubicoFormat(f)
	}
	return Record{}, false, "the row is neither a Traditional-format row (EVENT,TIME,SLOT,PUBLIC ID,PRIVATE ID,KEY,...) " +
		"nor a Yubico-format row (SERIAL,PUBLIC ID,PRIVATE ID,KEY,ACCESS CODE,TIME,); the Flexible format is not read"
}

// parseYubicoTraditional reads the 16 columns after the local time.
func parseYubicoTraditional(event string, t []string) (Record, string) {
	slot := field(t[0])
	if slot != "1" && slot != "2" {
		return Record{}, "the configuration slot is not 1 or 2"
	}
	if event == "Yubico OTP" {
		rec, msg := yubicoOTPRecord(field(t[1]), field(t[2]), field(t[3]))
		rec.Comment = "YubiKey slot " + slot
		return rec, msg
	}
	digits, err := strconv.Atoi(field(t[9]))
	if err != nil || digits != 6 && digits != 8 {
		return Record{}, "the HOTP length is not 6 or 8"
	}
	enc := oathIDEncoding{all: field(t[8]) == "1", first1: field(t[6]) == "1", first2: field(t[7]) == "1"}
	rec, msg := yubicoHOTPRecord(field(t[1]), field(t[10]), field(t[3]), enc)
	rec.Digits, rec.Comment = digits, "YubiKey slot "+slot
	return rec, msg
}

// parseYubicoFormat reads a 7-column Yubico-format row.
func parseYubicoFormat(f []string) (Record, bool, string) {
	if _, err := time.Parse(yubicoFixedTime, field(f[5])); err != nil {
		return Record{}, false, "the time column is not yyyy-MM-ddThh:mm:ss, as the Yubico format writes it"
	}
	pub, third, key, serial := field(f[1]), field(f[2]), field(f[3]), field(f[0])
	comment := "YubiKey"
	if serial != "" {
		comment += " serial " + serial
	}
	switch {
	case third == "":
		return Record{}, true, "" // static password or challenge-response Yubico OTP
	case len(third) == 12 || len(key) == 32: // a moving factor is at most 1048560
		rec, msg := yubicoOTPRecord(pub, third, key)
		rec.Comment, rec.Serial = comment, serial
		return rec, false, msg
	}
	rec, msg := yubicoHOTPRecord(pub, third, key, oathIDEncoding{first2: true})
	if msg == "" && rec.Identifier != "" && !isDigits(rec.Identifier[4:]) {
		msg = "the OATH token identifier is not two modhex bytes and eight digits; log this key in the Traditional format, which says how it is typed"
	}
	rec.Digits, rec.Serial = 6, serial
	rec.Comment = comment + " (Yubico log format: 6 digits and the standard token identifier assumed)"
	return rec, false, msg
}

// yubicoOTPRecord builds a Yubico OTP token, or says what is wrong.
func yubicoOTPRecord(pub, priv, key string) (Record, string) {
	pub = strings.ToLower(pub)
	if len(pub) < 2 || len(pub) > 32 || len(pub)%2 != 0 || !yubiotp.IsModhex(pub) {
		return Record{}, "the public id is not 1 to 16 bytes of modhex (" + yubiotp.Alphabet + ")"
	}
	id, err := hex.DecodeString(priv)
	if err != nil || len(id) != 6 {
		return Record{}, "the private id is not 6 bytes in hex"
	}
	aes, err := hex.DecodeString(key)
	if err != nil || len(aes) != 16 {
		return Record{}, "the AES key is not 16 bytes in hex"
	}
	return Record{Type: TypeYubico, Identifier: pub, PrivateID: id, Secret: aes}, ""
}

// yubicoHOTPRecord builds an OATH-HOTP token, or says what is wrong.
func yubicoHOTPRecord(pub, movingFactor, key string, enc oathIDEncoding) (Record, string) {
	rec := Record{Type: TypeHOTP, Algorithm: otp.SHA1}
	secret, err := hex.DecodeString(key)
	if err != nil || checkSecret(secret) != "" {
		return Record{}, fmt.Sprintf("the OATH-HOTP key is not 1 to %d bytes in hex", MaxSecretSize)
	}
	rec.Secret = secret
	if rec.Counter, err = strconv.ParseUint(movingFactor, 10, 64); err != nil || !isDigits(movingFactor) {
		return Record{}, "the moving factor is not a decimal number"
	}
	if pub != "" {
		id, msg := enc.identifier(strings.ToLower(pub))
		if msg != "" {
			return Record{}, msg
		}
		rec.Type, rec.Identifier = TypeHOTPPrefixed, id
	}
	return rec, ""
}

// oathIDEncoding is how a YubiKey types the 6 bytes of its OATH token
// identifier: the oath-fixed-modhex1, -modhex2 and -modhex flags of
// ykpersonalize. Bytes not typed as modhex are typed as two hex digits each,
// which are decimal digits when the bytes are BCD.
type oathIDEncoding struct{ all, first1, first2 bool }

// identifier returns what the key types for the modhex public id pub, as
// resolve_oathId in yubikeylogger.cpp computes it.
func (e oathIDEncoding) identifier(pub string) (string, string) {
	b, err := yubiotp.DecodeModhex(pub)
	if err != nil || len(b) != yubicoOATHIDSize {
		return "", "the OATH token identifier is not 6 bytes of modhex (" + yubiotp.Alphabet + ")"
	}
	n := 0
	switch {
	case e.all:
		n = yubicoOATHIDSize
	case e.first1:
		n = 1
	case e.first2:
		n = 2
	}
	return pub[:2*n] + hex.EncodeToString(b[n:]), ""
}

// field returns a CSV column without surrounding or embedded spaces: the
// tool shows ids and keys in groups separated by spaces.
func field(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), " ", "")
}
