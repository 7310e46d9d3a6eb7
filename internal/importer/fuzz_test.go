package importer

import (
	"bytes"
	"encoding/base32"
	"encoding/binary"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// longToken finds the runs of input that could be a secret.
var longToken = regexp.MustCompile(`[A-Za-z0-9]{20,}`)

// checkNoLeak fails t if err quotes a secret-sized run of the input: no
// error may echo a field, because a misaligned line can put a secret in any
// of them.
func checkNoLeak(t *testing.T, err error, input []byte) {
	t.Helper()
	if err == nil {
		return
	}
	for _, tok := range longToken.FindAll(input, -1) {
		if strings.Contains(err.Error(), string(tok)) {
			t.Fatalf("error %q quotes the input %q", err, tok)
		}
	}
}

// checkValid fails t unless every record is a complete token once the
// caller has assigned its user.
func checkValid(t *testing.T, recs []Record) {
	t.Helper()
	for i, r := range recs {
		if r.User == "" {
			r.User = "assigned"
		}
		if msg := r.validate(); msg != "" {
			t.Fatalf("record %d %+v is not valid: %s", i, r, msg)
		}
	}
}

// renumber sets Line as a parser of the written form would.
func renumber(recs []Record) []Record {
	out := append([]Record(nil), recs...)
	for i := range out {
		out[i].Line = i + 1
	}
	return out
}

func FuzzParseUsersFile(f *testing.F) {
	f.Add([]byte("HOTP root - 00\n"))
	f.Add([]byte("# c\nHOTP/E/8\talice\tpw\t" + rfc4226Key + "\t7\t12345678\t2009-12-07T23:23:49L\r\n"))
	f.Add([]byte("HOTP/T30 a + " + rfc4226Key + "\nHOTP/T60/8 b - 00 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseUsersFile(bytes.NewReader(data))
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		checkValid(t, recs)
		// Whatever pam_oath's format can say, it can say again.
		var b bytes.Buffer
		if err := WriteUsersFile(&b, recs); err != nil {
			t.Fatalf("WriteUsersFile(ParseUsersFile(%q)): %v", data, err)
		}
		again, err := ParseUsersFile(&b)
		if err != nil || !reflect.DeepEqual(again, renumber(recs)) {
			t.Fatalf("ParseUsersFile(WriteUsersFile(%+v)) = %+v, %v", recs, again, err)
		}
	})
}

func FuzzParseGoogleAuthenticator(f *testing.F) {
	f.Add([]byte(gaTOTPFile))
	f.Add([]byte("JBSWY3DP\n\" HOTP_COUNTER 3\n\" WINDOW_SIZE 5\n"))
	f.Add([]byte("JBSWY3DP\n\" TOTP_AUTH\n\" STEP_SIZE 60\n\" TIME_SKEW -1\n\" DISALLOW_REUSE 1 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseGoogleAuthenticator(bytes.NewReader(data))
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		if len(recs) != 1 || recs[0].Digits != 6 {
			t.Fatalf("ParseGoogleAuthenticator(%q) = %+v; want one 6-digit token", data, recs)
		}
		checkValid(t, recs)
	})
}

func FuzzParseYubicoCSV(f *testing.F) {
	for _, s := range []string{tradYubicoOTP, tradOATH, tradStatic, ycOATH, ycYubicoOTP, ycStatic,
		"OATH-HOTP,t,2,ubhecbdefghi,,00,,,0,1,0,8,1600,0,0,0,0,0"} {
		f.Add([]byte(s + "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseYubicoCSV(bytes.NewReader(data))
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		checkValid(t, recs)
		for _, r := range recs {
			if r.Type == TypeHOTPPrefixed && len(r.Identifier) != 12 {
				t.Fatalf("OATH token identifier %q is not 12 characters", r.Identifier)
			}
		}
	})
}

func FuzzParsePickle(f *testing.F) {
	for _, p := range python2Pickles {
		f.Add([]byte(p.data))
	}
	f.Add([]byte("\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94\x8c\x10JBSWY3DPEHPK3PXP\x94s."))
	f.Add([]byte("cos\nsystem\n(S'id'\ntR."))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParsePickle(bytes.NewReader(data))
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		checkValid(t, recs)
		// The same dict, pickled again, reads the same.
		again, err := ParsePickle(bytes.NewReader(pickleDictOf(recs)))
		if err != nil || !reflect.DeepEqual(again, recs) {
			t.Fatalf("ParsePickle(pickle of %+v) = %+v, %v", recs, again, err)
		}
	})
}

// pickleDictOf pickles the users and base32 secrets of recs with protocol 2,
// as Python 3 would.
func pickleDictOf(recs []Record) []byte {
	b := []byte("\x80\x02}(")
	str := func(s string) {
		b = append(b, 'X')
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	for _, r := range recs {
		str(r.User)
		str(base32.StdEncoding.EncodeToString(r.Secret))
	}
	return append(b, "u."...)
}

func FuzzParseURIs(f *testing.F) {
	f.Add([]byte("otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example\n"))
	f.Add([]byte("# c\notpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&counter=7&digits=8&algorithm=SHA256\n"))
	f.Add([]byte("otpauth://totp/a%3Ab:c?secret=jbswy3dp&period=60&issuer=x%20y#frag\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseURIs(bytes.NewReader(data))
		checkNoLeak(t, err, data)
		if err != nil {
			return
		}
		checkValid(t, recs)
		var b bytes.Buffer
		if WriteURIs(&b, recs) != nil {
			return // e.g. an issuer with ':' and a user with ':'
		}
		again, err := ParseURIs(&b)
		if err != nil || !reflect.DeepEqual(again, renumber(recs)) {
			t.Fatalf("ParseURIs(WriteURIs(%+v)) = %+v, %v", recs, again, err)
		}
	})
}
