package importer

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/otp"
)

// A ~/.google_authenticator file (google-authenticator-libpam,
// src/pam_google_authenticator.c) holds one token:
//
//	BASE32SECRET
//	" RATE_LIMIT 3 30 [login times...]
//	" WINDOW_SIZE 17
//	" DISALLOW_REUSE [used steps...]
//	" TOTP_AUTH                      or   " HOTP_COUNTER 1
//	" STEP_SIZE 30
//	" TIME_SKEW 0
//	12345678                         8-digit scratch codes, one a line
//
// Codes are always HMAC-SHA1 with 6 digits. The module itself rewrites the
// RATE_LIMIT, DISALLOW_REUSE, HOTP_COUNTER, TIME_SKEW and
// RESETTING_TIME_SKEW lines after logins.
const (
	gaFormat  = "google_authenticator file"
	gaMaxSize = 64 << 10 // the module refuses larger files
)

// gaOptions are the option names the module reads, with a check of the value
// (nil: the option takes none).
var gaOptions = map[string]func(string) bool{
	"RATE_LIMIT":          gaRateLimit,
	"WINDOW_SIZE":         func(v string) bool { return gaIntIn(v, 1, 100) },
	"DISALLOW_REUSE":      func(v string) bool { return gaInts(v) },
	"TOTP_AUTH":           nil,
	"HOTP_COUNTER":        func(v string) bool { return gaIntIn(v, 0, math.MaxInt64) },
	"STEP_SIZE":           func(v string) bool { return gaIntIn(v, 1, 60) },
	"TIME_SKEW":           gaSkew,
	"RESETTING_TIME_SKEW": func(string) bool { return true }, // module state, not read here
}

const gaOptionList = "RATE_LIMIT, WINDOW_SIZE, DISALLOW_REUSE, TOTP_AUTH, HOTP_COUNTER, STEP_SIZE, TIME_SKEW, RESETTING_TIME_SKEW"

// ParseGoogleAuthenticator reads one ~/.google_authenticator file and returns
// its token as a single record. The file does not name its user, so
// Record.User is empty: the caller sets it, usually to the owner of the home
// directory the file came from.
//
// The secret is decoded as the module decodes it (spaces and '-' ignored, any
// case, 0, 1 and 8 read as O, L and B), so that codes match. A TOTP Counter
// is the highest step in DISALLOW_REUSE, and Drift is TIME_SKEW. The
// scratch codes become Record.RecoveryCodes: the module deletes one from
// the file when it is used, so those left are unused.
// WINDOW_SIZE and RATE_LIMIT are server policy and are only checked.
func ParseGoogleAuthenticator(r io.Reader) ([]Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, gaMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("importer: read %s: %w", gaFormat, err)
	}
	if len(data) > gaMaxSize {
		return nil, &Error{Format: gaFormat, Msg: fmt.Sprintf("the file is larger than the %d bytes pam_google_authenticator reads", gaMaxSize)}
	}
	lr := newLineReader(gaFormat, bytes.NewReader(data))
	line, ok := lr.next()
	if !ok {
		if err := lr.err(); err != nil {
			return nil, err
		}
		return nil, &Error{Format: gaFormat, Msg: "the file is empty (the first line must be the base32 secret)"}
	}
	secret, msg := gaDecodeBase32(line)
	if msg != "" {
		return nil, lr.errorf("%s", msg)
	}
	opts, scratch, err := gaReadRest(lr)
	if err != nil {
		return nil, err
	}
	rec, msg := gaRecord(opts)
	if msg != "" {
		return nil, &Error{Format: gaFormat, Msg: msg}
	}
	rec.Secret, rec.RecoveryCodes, rec.Line = secret, scratch, 1
	return []Record{rec}, nil
}

// gaReadRest reads the option and scratch code lines after the secret and
// returns the options by name and the scratch codes.
func gaReadRest(lr *lineReader) (map[string]string, []string, error) {
	opts := map[string]string{}
	var scratch []string
	for {
		line, ok := lr.next()
		if !ok {
			return opts, scratch, lr.err()
		}
		switch {
		case len(bytes.TrimSpace(line)) == 0:
		case line[0] == '"':
			if msg := gaOption(opts, string(line)); msg != "" {
				return nil, nil, lr.errorf("%s", msg)
			}
		case !gaScratchCode(line):
			return nil, nil, lr.errorf("the line is neither an option (\" NAME VALUE) nor an 8-digit scratch code")
		default:
			scratch = append(scratch, string(bytes.TrimSpace(line)))
		}
	}
}

// gaOption parses `" NAME VALUE` into opts, or says what is wrong.
func gaOption(opts map[string]string, line string) string {
	body, ok := strings.CutPrefix(line, "\" ")
	if !ok {
		return "an option line must start with a double quote and one space"
	}
	name := body
	if i := strings.IndexAny(body, " \t"); i >= 0 {
		name = body[:i]
	}
	value := strings.Trim(body[len(name):], " \t")
	check, known := gaOptions[name]
	_, dup := opts[name]
	switch {
	case !known:
		return "unknown option (accepted: " + gaOptionList + ")"
	case dup:
		return "option " + name + " appears twice"
	case check == nil && value != "":
		return "option " + name + " takes no value"
	case check != nil && !check(value):
		return "option " + name + " has a malformed or out-of-range value"
	}
	opts[name] = value
	return ""
}

// gaRecord builds the token from the options, or says what is wrong.
func gaRecord(opts map[string]string) (Record, string) {
	_, totp := opts["TOTP_AUTH"]
	counter, _ := strconv.ParseInt(opts["HOTP_COUNTER"], 10, 64)
	hotp := counter >= 1 // the module ignores HOTP_COUNTER below 1
	rec := Record{Algorithm: otp.SHA1, Digits: 6}
	switch {
	case totp && hotp:
		return rec, "both TOTP_AUTH and HOTP_COUNTER are set; the file must be for one kind of token"
	case hotp:
		rec.Type, rec.Counter = TypeHOTP, uint64(counter)
		return rec, ""
	case !totp:
		return rec, "neither TOTP_AUTH nor HOTP_COUNTER (at least 1) is set: the file has no token, only scratch codes"
	}
	rec.Type, rec.Period = TypeTOTP, 30
	if s, ok := opts["STEP_SIZE"]; ok {
		rec.Period, _ = strconv.Atoi(s)
	}
	skew, _ := strconv.ParseInt(opts["TIME_SKEW"], 10, 32)
	rec.Drift = int(skew)
	for _, f := range strings.Fields(opts["DISALLOW_REUSE"]) {
		step, _ := strconv.ParseUint(f, 10, 64)
		rec.Counter = max(rec.Counter, step)
	}
	return rec, ""
}

// gaDecodeBase32 decodes the secret line exactly as the module's
// base32_decode does, or says what is wrong.
func gaDecodeBase32(line []byte) ([]byte, string) {
	out := make([]byte, 0, len(line)*5/8)
	var buf uint32
	bits := 0
	for _, c := range line {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '-':
			continue
		case c == '0':
			c = 'O'
		case c == '1':
			c = 'L'
		case c == '8':
			c = 'B'
		}
		var v byte
		switch {
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			v = c&0x1f - 1
		case c >= '2' && c <= '7':
			v = c - '2' + 26
		default:
			return nil, "the first line is not a base32 secret (letters A-Z, digits 2-7; no '=' padding)"
		}
		buf, bits = buf<<5|uint32(v), bits+5
		if bits >= 8 {
			out = append(out, byte(buf>>(bits-8)))
			bits -= 8
		}
	}
	if msg := checkSecret(out); msg != "" {
		return nil, "the first line: " + msg
	}
	return out, ""
}

// gaScratchCode reports whether line is an 8-digit scratch code.
func gaScratchCode(line []byte) bool {
	s := strings.TrimRight(string(line), "\r")
	return len(s) == 8 && isDigits(s) && s[0] != '0'
}

// gaIntIn reports whether v is a decimal integer in [lo, hi].
func gaIntIn(v string, lo, hi int64) bool {
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && isDigits(v) && n >= lo && n <= hi
}

// gaSkew reports whether v is a signed step count.
func gaSkew(v string) bool {
	_, err := strconv.ParseInt(v, 10, 32)
	return err == nil
}

// gaInts reports whether v is a list of decimal integers separated by white
// space.
func gaInts(v string) bool {
	for _, f := range strings.Fields(v) {
		if !isDigits(f) || len(f) > 19 {
			return false
		}
	}
	return true
}

// gaRateLimit checks "ATTEMPTS INTERVAL [TIMESTAMP...]" as the module does.
func gaRateLimit(v string) bool {
	f := strings.Fields(v)
	if len(f) < 2 || !gaIntIn(f[0], 1, 100) || !gaIntIn(f[1], 1, 3600) {
		return false
	}
	return gaInts(strings.Join(f[2:], " "))
}
