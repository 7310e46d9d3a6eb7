package importer

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/otp"
)

// rfc4226Key is the test key of RFC 4226 appendix D, "12345678901234567890".
const rfc4226Key = "3132333435363738393031323334353637383930"

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseUsersFile(t *testing.T) {
	key := mustHex(rfc4226Key)
	tests := []struct {
		name string
		in   string
		want []Record
	}{
		{"pam_oath README", "HOTP root - 00\n", []Record{
			{User: "root", Type: TypeHOTP, Secret: []byte{0}, Digits: 6, Line: 1}}},
		{"comments, blank lines, CRLF, tabs", "# users\r\n\r\n  # indented comment\nHOTP/E/8\talice\t-\t" + rfc4226Key + "\t7\r\n", []Record{
			{User: "alice", Type: TypeHOTP, Secret: key, Digits: 8, Counter: 7, Line: 4}}},
		{"TOTP types", "HOTP/T30 a + " + rfc4226Key + "\nHOTP/T60/8 b - " + rfc4226Key + "\nHOTP/T30/7 c - " + rfc4226Key + "\n", []Record{
			{User: "a", Type: TypeTOTP, Secret: key, Digits: 6, Period: 30, Line: 1},
			{User: "b", Type: TypeTOTP, Secret: key, Digits: 8, Period: 60, Line: 2},
			{User: "c", Type: TypeTOTP, Secret: key, Digits: 7, Period: 30, Line: 3}}},
		{"password", "HOTP/E/6 bob s3cret ABCDEF\n", []Record{
			{User: "bob", Type: TypeHOTP, Secret: []byte{0xab, 0xcd, 0xef}, Digits: 6, PIN: []byte("s3cret"), Line: 1}}},
		// The pam_oath README's rewritten line: the code at counter 0 was
		// accepted, so the next is 1.
		{"rewritten by pam_oath", "HOTP\troot\t-\t00\t0\t328482\t2009-12-07T23:23:49L\n", []Record{
			{User: "root", Type: TypeHOTP, Secret: []byte{0}, Digits: 6, Counter: 1, Line: 1}}},
		{"TOTP counter ignored", "HOTP/T30/6\tu\t-\t00\t20\t123456\t2009-12-07T23:23:49L\n", []Record{
			{User: "u", Type: TypeTOTP, Secret: []byte{0}, Digits: 6, Period: 30, Line: 1}}},
		{"HOTP/E and E/7", "HOTP/E x - 01\nHOTP/E/7 y - 02 3\n", []Record{
			{User: "x", Type: TypeHOTP, Secret: []byte{1}, Digits: 6, Line: 1},
			{User: "y", Type: TypeHOTP, Secret: []byte{2}, Digits: 7, Counter: 3, Line: 2}}},
		{"byte-order mark", "\ufeffHOTP z - 00\n", []Record{
			{User: "z", Type: TypeHOTP, Secret: []byte{0}, Digits: 6, Line: 1}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		got, err := ParseUsersFile(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: ParseUsersFile(%q) error: %v", tt.name, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseUsersFile(%q) = %+v; want %+v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestParseUsersFileErrors(t *testing.T) {
	const secret = "deadbeefcafe0123456789"
	tests := []struct {
		in, want string
	}{
		{"HOTP alice - " + secret + "\nTOTP bob - " + secret + "\n", "line 2: field 1 is not a token type"},
		{"HOTP/T45 a - " + secret, "line 1: field 1 is not a token type"},
		{"HOTP/E/9 a - " + secret, "not a token type"},
		{"HOTP a -", "line 1: 3 fields"},
		{"HOTP a - " + secret + " 1 2 3 4", "8 fields"},
		{secret + " alice - HOTP", "field 1 is not a token type"},
		{"HOTP a - " + secret + "z", "field 4 is not a secret"},
		{"HOTP a - " + secret + "0", "field 4 is not a secret"},
		{"HOTP a - " + strings.Repeat("ab", 33), "field 4 is not a secret of 1 to 32 bytes"},
		{"HOTP a - " + secret + " -1", "field 5 is not a counter"},
		{"HOTP a - " + secret + " 18446744073709551616", "field 5 is not a counter"},
		{"HOTP a - " + secret + " 18446744073709551615 123456", "cannot advance"},
		{"HOTP a - " + secret + " 1 12345", "field 6 is not the last one-time password"},
		{"HOTP a - " + secret + " 1 123456 yesterday", "field 7 is not the last login time"},
		{"HOTP a\x01b - " + secret, "field 2: the user name contains a control character"},
		{"HOTP \xff - " + secret, "field 2: the user name is not valid UTF-8"},
		{"HOTP a - " + secret + "\x00", "NUL byte"},
		{"HOTP a - " + secret + strings.Repeat(" ", MaxLineLength), "line 1: the line is longer than 65536 bytes"},
	}
	for _, tt := range tests {
		recs, err := ParseUsersFile(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseUsersFile(%.60q) = %v; want error containing %q", tt.in, err, tt.want)
			continue
		}
		if recs != nil {
			t.Errorf("ParseUsersFile(%.60q) returned %d records with an error", tt.in, len(recs))
		}
		if strings.Contains(err.Error(), secret[:12]) {
			t.Errorf("ParseUsersFile(%.60q) error %q contains the secret", tt.in, err)
		}
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "importer: users file line ") {
			t.Errorf("ParseUsersFile(%.60q) error %q is not an *Error naming its line", tt.in, err)
		}
	}
}

func TestWriteUsersFile(t *testing.T) {
	key := mustHex(rfc4226Key)
	recs := []Record{
		{User: "alice", Type: TypeHOTP, Secret: key, Digits: 6, Counter: 5, Line: 1},
		{User: "bob", Type: TypeTOTP, Secret: key, Digits: 8, Period: 60, PIN: []byte("pw"), Line: 2},
		{User: "carol", Type: TypeTOTP, Secret: key, Digits: 7, Period: 30, Line: 3},
	}
	var b bytes.Buffer
	if err := WriteUsersFile(&b, recs); err != nil {
		t.Fatalf("WriteUsersFile: %v", err)
	}
	want := "HOTP/E/6\talice\t-\t" + rfc4226Key + "\t5\n" +
		"HOTP/T60/8\tbob\tpw\t" + rfc4226Key + "\n" +
		"HOTP/T30/7\tcarol\t-\t" + rfc4226Key + "\n"
	if b.String() != want {
		t.Errorf("WriteUsersFile = %q; want %q", b.String(), want)
	}
	got, err := ParseUsersFile(&b)
	if err != nil || !reflect.DeepEqual(got, recs) {
		t.Errorf("ParseUsersFile(WriteUsersFile(recs)) = %+v, %v; want %+v", got, err, recs)
	}
}

func TestWriteUsersFileErrors(t *testing.T) {
	ok := Record{User: "u", Type: TypeHOTP, Secret: []byte("0123456789"), Digits: 6}
	tests := []struct {
		change func(*Record)
		want   string
	}{
		{func(r *Record) { r.Algorithm = otp.SHA256 }, "HMAC-SHA1 only"},
		{func(r *Record) { r.Digits = 10 }, "6, 7 or 8"},
		{func(r *Record) { r.Type, r.Period = TypeTOTP, 45 }, "30 or 60"},
		{func(r *Record) { r.Secret = make([]byte, 33) }, "32 bytes"},
		{func(r *Record) { r.User = "a b" }, "white space"},
		{func(r *Record) { r.User = "" }, "user name is empty"},
		{func(r *Record) { r.PIN = []byte("p w") }, "PIN"},
		{func(r *Record) { r.PIN = []byte("+") }, "PIN"},
		{func(r *Record) { r.Type, r.Identifier = TypeHOTPPrefixed, "ubhe00000001" }, "cannot be written"},
		{func(r *Record) {
			r.Type, r.PrivateID, r.Secret, r.Identifier = TypeYubico, make([]byte, 6), make([]byte, 16), "cccccccccccc"
		}, "cannot be written"},
		{func(r *Record) { r.Secret = nil }, "secret is empty"},
	}
	for _, tt := range tests {
		r := ok
		tt.change(&r)
		var b bytes.Buffer
		err := WriteUsersFile(&b, []Record{ok, r})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "entry 2") {
			t.Errorf("WriteUsersFile(%+v) = %v; want error for entry 2 containing %q", r, err, tt.want)
		}
		if b.Len() != 0 {
			t.Errorf("WriteUsersFile(%+v) wrote %q despite the error", r, b.String())
		}
		if err != nil && strings.Contains(err.Error(), "0123456789") {
			t.Errorf("WriteUsersFile error %q contains the secret", err)
		}
	}
}
