package tokenspec

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// code generates the spec's code at its counter (HOTP) or at unix (TOTP).
func code(t *testing.T, s *Spec, unix int64) string {
	t.Helper()
	if s.Mode == TOTP {
		return otp.Generate(s.Key, s.Params.Step(time.Unix(unix, 0)), s.Params)
	}
	return otp.Generate(s.Key, s.Counter, s.Params)
}

// Examples from OpenConnect's token documentation and the observations in
// reference/client-tokens.md sections 1.3, 1.6 and 3.
var openconnectTests = []struct {
	mode Mode
	spec string
	unix int64
	form Form
	alg  otp.Algorithm
	want string
}{
	{HOTP, "SecretSecret!,99", 0, Raw, otp.SHA1, "397024"},
	{HOTP, "SecretSecret!,100", 0, Raw, otp.SHA1, "876702"},
	{HOTP, "0x53656372657453656372657421,99", 0, Hex, otp.SHA1, "397024"},
	{HOTP, "base32:KNSWG4TFORJWKY3SMV2CC===,99", 0, Base32, otp.SHA1, "397024"},
	{HOTP, "base32:KNSWG4TFORJWKY3SMV2CC,99", 0, Base32, otp.SHA1, "397024"},
	{HOTP, "BASE32:knswg4tforjwky3smv2cc===,99", 0, Base32, otp.SHA1, "397024"},
	{HOTP, "base32:KNSW G4TF ORJW KY3S MV2C C,99", 0, Base32, otp.SHA1, "397024"},
	{HOTP, "0x3132333435363738393031323334353637383930,010", 0, Hex, otp.SHA1, "399871"},
	{HOTP, "0x3132333435363738393031323334353637383930,0x9", 0, Hex, otp.SHA1, "520489"},
	{HOTP, "12345678901234567890", 0, Raw, otp.SHA1, "755224"},
	{HOTP, "12345678901234567890,5 ", 0, Raw, otp.SHA1, "254676"},
	{HOTP, "sha256:12345678901234567890,0", 0, Raw, otp.SHA256, "875740"},
	{HOTP, "SHA256:0x3132333435363738393031323334353637383930,0", 0, Hex, otp.SHA256, "875740"},
	{HOTP, "sha512:12345678901234567890,0", 0, Raw, otp.SHA512, "125165"},
	{HOTP, "sha256:base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,0", 0, Base32, otp.SHA256, "875740"},
	{TOTP, "12345678901234567890", 59, Raw, otp.SHA1, "287082"},
	{TOTP, "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59, Base32, otp.SHA1, "287082"},
	{TOTP, "0x3132333435363738393031323334353637383930", 1111111109, Hex, otp.SHA1, "081804"},
	{TOTP, "sha256:12345678901234567890123456789012", 1111111109, Raw, otp.SHA256, "084774"},
	{TOTP, "sha512:1234567890123456789012345678901234567890123456789012345678901234", 20000000000, Raw, otp.SHA512, "863826"},
	{TOTP, "SecretSecret!,99", 59, Raw, otp.SHA1, ""}, // TOTP: the comma is part of the raw secret
	{TOTP, "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59, OTPAuth, otp.SHA1, "287082"},
	{ModeUnknown, "otpauth://totp/ACME%20Co:john?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=8&period=30", 59, OTPAuth, otp.SHA1, "94287082"},
	{ModeUnknown, "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60", 1111111111, OTPAuth, otp.SHA1, "360094"},
	{ModeUnknown, "otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=8", 0, OTPAuth, otp.SHA1, "399871"},
	{ModeUnknown, "sha256:otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 0, OTPAuth, otp.SHA256, "875740"},
	{ModeUnknown, "OTPAUTH://HOTP/x?SECRET=gezdgnbvgy3tqojqgezdgnbvgy3tqojq&Algorithm=sha512", 0, OTPAuth, otp.SHA512, "125165"},
}

func TestOpenConnectForms(t *testing.T) {
	for _, tt := range openconnectTests {
		s, err := Parse(tt.spec, Options{Mode: tt.mode})
		if err != nil {
			t.Errorf("Parse(%q, %v) error: %v", tt.spec, tt.mode, err)
			continue
		}
		if s.Form != tt.form || s.Params.Algorithm != tt.alg {
			t.Errorf("Parse(%q) form, alg = %v, %v; want %v, %v", tt.spec, s.Form, s.Params.Algorithm, tt.form, tt.alg)
		}
		if tt.want == "" {
			if !bytes.Equal(s.Key, []byte(tt.spec)) {
				t.Errorf("Parse(%q, totp).Key = %q; want the whole text", tt.spec, s.Key)
			}
			continue
		}
		if got := code(t, s, tt.unix); got != tt.want {
			t.Errorf("code(%q) = %s; want %s", tt.spec, got, tt.want)
		}
	}
}

// Write-back keeps the form as given and only changes the counter.
func TestEncode(t *testing.T) {
	tests := []struct {
		mode       Mode
		spec, want string
	}{
		{HOTP, "SecretSecret!,99", "SecretSecret!,101"},
		{HOTP, "SecretSecret!", "SecretSecret!,2"},
		{HOTP, "sha256:0x3132,0", "sha256:0x3132,2"},
		{HOTP, "SHA512:base32:knswg4tforjwky3smv2cc,0x10", "SHA512:base32:knswg4tforjwky3smv2cc,0x12"},
		{HOTP, "0x3132,010", "0x3132,012"},
		{HOTP, "0x3132,0", "0x3132,2"},
		{HOTP, "0x3132,00", "0x3132,02"},
		{HOTP, "0x3132,0xfe", "0x3132,0x100"},
		{HOTP, "0x3132,0XAE", "0x3132,0XB0"},
		{HOTP, "0x3132,0xaB", "0x3132,0xad"},
		{HOTP, "0x3132, +7 ", "0x3132, +9"},
		{HOTP, "a,b,c,7", "a,b,c,9"},
		{HOTP, "otpauth://hotp/VPN:alice?secret=GEZDGNBV&counter=5&issuer=VPN#frag", "otpauth://hotp/VPN:alice?secret=GEZDGNBV&counter=7&issuer=VPN#frag"},
		{HOTP, "otpauth://hotp/VPN:alice?secret=GEZDGNBV", "otpauth://hotp/VPN:alice?secret=GEZDGNBV&counter=2"},
		{HOTP, "sha256:otpauth://hotp/a?secret=GEZDGNBV&Counter=1", "sha256:otpauth://hotp/a?secret=GEZDGNBV&Counter=3"},
		{TOTP, "otpauth://totp/a?secret=GEZDGNBV", "otpauth://totp/a?secret=GEZDGNBV"},
		{TOTP, "base32:GEZDGNBV", "base32:GEZDGNBV"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.spec, Options{Mode: tt.mode})
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.spec, err)
		}
		s.Counter += 2
		got, err := s.Encode()
		if err != nil || got != tt.want {
			t.Errorf("Encode(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
		}
		back, err := Parse(got, Options{Mode: tt.mode})
		if err != nil {
			t.Fatalf("Parse(Encode(%q)): %v", tt.spec, err)
		}
		if !bytes.Equal(back.Key, s.Key) || back.Params != s.Params || (tt.mode == HOTP && back.Counter != s.Counter) {
			t.Errorf("Parse(Encode(%q)) = %+v; want %+v", tt.spec, back, s)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		mode      Mode
		spec, msg string
	}{
		{TOTP, "", "empty"},
		{TOTP, "   \n", "empty"},
		{HOTP, "abc,", "empty"},
		{HOTP, "abc,-1", "negative"},
		{HOTP, "abc,12x", "not a number"},
		{HOTP, "abc,99999999999999999999", "not a number"},
		{HOTP, "abc,1_000", "not a number"},
		{HOTP, "abc,0b101", "not a number"},
		{TOTP, "0x313", "odd number"},
		{TOTP, "0x31zz", "not 0-9"},
		{TOTP, "0x", "empty"},
		{TOTP, "base32:", "empty"},
		{TOTP, "base32:ABC!", "invalid base32"},
		{TOTP, "base32:A", "invalid base32"},
		{ModeUnknown, "SecretSecret!", "--token-mode"},
		{HOTP, "otpauth://totp/a?secret=GEZDGNBV", "is for totp"},
		{ModeUnknown, "otpauth://motp/a?secret=GEZDGNBV", "not totp or hotp"},
		{ModeUnknown, "otpauth://totp/a", "no parameters"},
		{ModeUnknown, "otpauth://totp/a?issuer=x", "no secret"},
		{ModeUnknown, "otpauth://totp/a?secret=GEZDGNBV&secret=JBSWY3DP", "repeats"},
		{ModeUnknown, "otpauth://totp/a?secret=GEZDGNBV&algorithm=MD5", "not SHA1"},
		{ModeUnknown, "otpauth://totp/a?secret=GEZDGNBV&digits=5", "6 to 10"},
		{ModeUnknown, "otpauth://totp/a?secret=GEZDGNBV&period=0", "seconds"},
		{ModeUnknown, "otpauth://hotp/a?secret=GEZDGNBV&counter=-4", "decimal"},
		{ModeUnknown, "otpauth://totp/a?secret=GEZDGNBV&issuer=%zz", "escape"},
		{ModeUnknown, "sha1:otpauth://totp/a?secret=GEZDGNBV&algorithm=SHA256", "disagree"},
		{TOTP, strings.Repeat("a", MaxSpecSize+1), "larger"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec, Options{Mode: tt.mode})
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%.40q) error = %v; want one mentioning %q", tt.spec, err, tt.msg)
		}
	}
}

// "0X" is not hex in OpenConnect: same codes here, and a warning.
func TestCapitalXIsRaw(t *testing.T) {
	var warned string
	s, err := Parse("0X3132", Options{Mode: TOTP, Warn: func(m string) { warned = m }})
	if err != nil || s.Form != Raw || string(s.Key) != "0X3132" {
		t.Fatalf("Parse(0X3132) = %+v, %v; want the raw text", s, err)
	}
	if !strings.Contains(warned, "0x") {
		t.Errorf("no warning about 0X; got %q", warned)
	}
}

func TestKeyURILabel(t *testing.T) {
	s, err := Parse("otpauth://totp/ACME%20Co:%20john.doe@email.com?secret=GEZDGNBV", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.uri.Issuer != "ACME Co" || s.uri.Account != "john.doe@email.com" {
		t.Errorf("label = %q, %q; want ACME Co, john.doe@email.com", s.uri.Issuer, s.uri.Account)
	}
	s, _ = Parse("otpauth://totp/Label:bob?secret=GEZDGNBV&issuer=Param", Options{})
	if s.uri.Issuer != "Param" {
		t.Errorf("issuer = %q; want the parameter's, Param", s.uri.Issuer)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range openconnectTests {
		f.Add(tt.spec, true)
	}
	f.Add("otpauth://hotp/a?secret=GEZDGNBV&counter=1#x", true)
	f.Add("0x3132,010", false)
	f.Fuzz(func(t *testing.T, spec string, hotp bool) {
		mode := TOTP
		if hotp {
			mode = HOTP
		}
		s, err := Parse(spec, Options{Mode: mode})
		if err != nil {
			return
		}
		if s.Mode == HOTP && s.Counter < 1<<62 {
			s.Counter++
		}
		enc, err := s.Encode()
		if err != nil {
			t.Fatalf("Encode after Parse(%q): %v", spec, err)
		}
		back, err := Parse(enc, Options{Mode: s.Mode})
		if err != nil {
			t.Fatalf("Parse(Encode(%q)) = %q: %v", spec, enc, err)
		}
		if !bytes.Equal(back.Key, s.Key) || back.Params != s.Params || back.Counter != s.Counter || back.counterForm != s.counterForm {
			t.Fatalf("round trip of %q changed the token: %+v -> %+v", spec, s, back)
		}
	})
}
