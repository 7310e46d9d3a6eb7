package importer

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/testpeer"
)

func TestParseURIs(t *testing.T) {
	hello := []byte("Hello!\xde\xad\xbe\xef")
	in := `# exported from an authenticator app

otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example
  otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&counter=7&digits=8
OTPAUTH://totp/ACME%20Co:%20carol%3Adave?secret=jbswy3dpehpk3pxp&algorithm=SHA512&period=60
otpauth://totp/Label%20Issuer:erin?issuer=Param%20Issuer&secret=JBSWY3DPEHPK3PXP
`
	want := []Record{
		{User: "alice@example.com", Issuer: "Example", Type: TypeTOTP, Secret: hello, Digits: 6, Period: 30, Line: 3},
		{User: "bob", Type: TypeHOTP, Secret: hello, Digits: 8, Counter: 7, Line: 4},
		{User: "carol:dave", Issuer: "ACME Co", Type: TypeTOTP, Secret: hello, Algorithm: otp.SHA512, Digits: 6, Period: 60, Line: 5},
		{User: "erin", Issuer: "Param Issuer", Type: TypeTOTP, Secret: hello, Digits: 6, Period: 30, Line: 6},
	}
	got, err := ParseURIs(strings.NewReader(in))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseURIs = %+v, %v; want %+v", got, err, want)
	}
}

func TestParseURIsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP\nhttps://example.com/\n", "line 2: the line is not an otpauth:// URI"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=5", "digits"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP!", "invalid base32 secret"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP", "repeats the parameter"},
		{"otpauth://yubico/a?secret=JBSWY3DPEHPK3PXP", "not totp or hotp"},
		{"otpauth://totp/?secret=JBSWY3DPEHPK3PXP", "the label's account name: the user name is empty"},
		{"otpauth://totp/Issuer:?secret=JBSWY3DPEHPK3PXP", "the user name is empty"},
		{"otpauth://totp/a%01?secret=JBSWY3DPEHPK3PXP", "control character"},
		// A malformed item may be the secret itself: tokenspec would quote it.
		{"otpauth://totp/a?JBSWY3DPEHPK3PXP%zz", "the otpauth URI is malformed"},
		{"otpauth://JBSWY3DPEHPK3PXP?secret=x", "the otpauth URI is malformed"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP%zz", "bad %-escape"},
	}
	for _, tt := range tests {
		recs, err := ParseURIs(strings.NewReader(tt.in))
		if err == nil || recs != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURIs(%q) = %v, %v; want error containing %q", tt.in, recs, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "JBSWY3DP") {
			t.Errorf("ParseURIs(%q) error %q contains the secret", tt.in, err)
		}
	}
}

// uriRecords are tokens for WriteURIs with names that need escaping.
var uriRecords = []Record{
	{User: "alice@example.com", Issuer: "Example Co", Type: TypeTOTP, Secret: []byte("12345678901234567890"), Digits: 6, Period: 30},
	{User: "bob/b?&=#%", Issuer: "x&y=z+", Type: TypeHOTP, Secret: []byte("12345678901234567890"), Digits: 8, Counter: 42},
	{User: "carol:c ünï", Issuer: "ACME", Type: TypeTOTP, Secret: make([]byte, 64), Algorithm: otp.SHA512, Digits: 8, Period: 60},
	{User: "dave", Issuer: "a:b", Type: TypeTOTP, Secret: []byte("k"), Algorithm: otp.SHA256, Digits: 7, Period: 45},
	{User: "erin", Type: TypeTOTP, Secret: []byte("k"), Digits: 6, Period: 30},
}

func TestWriteURIs(t *testing.T) {
	var b bytes.Buffer
	if err := WriteURIs(&b, uriRecords); err != nil {
		t.Fatalf("WriteURIs: %v", err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	if want := "otpauth://totp/Example%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"; first != want {
		t.Errorf("WriteURIs first line = %q; want %q", first, want)
	}
	got, err := ParseURIs(&b)
	if err != nil {
		t.Fatalf("ParseURIs(WriteURIs(records)): %v", err)
	}
	for i := range got {
		want := uriRecords[i]
		want.Line = i + 1
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("ParseURIs(WriteURIs(records))[%d] = %+v; want %+v", i, got[i], want)
		}
	}
}

func TestWriteURIsErrors(t *testing.T) {
	tests := []struct {
		r    Record
		want string
	}{
		{Record{User: "u", Type: TypeYubico, Secret: make([]byte, 16), PrivateID: make([]byte, 6), Identifier: "cccccccccccc"}, "a yubico token has no otpauth URI"},
		{Record{User: "u", Type: TypeHOTPPrefixed, Secret: []byte("k"), Digits: 6, Identifier: "ubhe00000001"}, "a hotp-prefixed token has no otpauth URI"},
		{Record{User: "a:b", Type: TypeHOTP, Secret: []byte("k"), Digits: 6}, "needs an issuer"},
		{Record{User: "u", Type: TypeTOTP, Secret: []byte("k"), Digits: 6}, "TOTP period"},
		{Record{User: "u", Type: TypeHOTP, Secret: []byte("k"), Digits: 5}, "digit count"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		err := WriteURIs(&b, []Record{tt.r})
		if err == nil || !strings.Contains(err.Error(), tt.want) || b.Len() != 0 {
			t.Errorf("WriteURIs(%+v) = %v, wrote %q; want error containing %q and nothing written", tt.r, err, b.String(), tt.want)
		}
	}
}

// TestWriteURIsPyotp checks that pyotp, which many servers and apps use,
// reads our URIs as the same tokens: same account, issuer and codes.
func TestWriteURIsPyotp(t *testing.T) {
	py := testpeer.Python(t, "pyotp")
	// pyotp unquotes the whole URI before splitting it, so it cannot read
	// names with the characters that delimit a URI.
	var recs []Record
	for _, r := range uriRecords {
		if !strings.ContainsAny(r.User+r.Issuer, "&=?#%+") {
			recs = append(recs, r)
		}
	}
	var b bytes.Buffer
	if err := WriteURIs(&b, recs); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, pyotp, sys
out = []
for line in sys.stdin.read().splitlines():
    o = pyotp.parse_uri(line)
    code = o.at(int(sys.argv[1])) if isinstance(o, pyotp.TOTP) else o.at(o.initial_count)
    out.append({"name": o.name, "issuer": o.issuer or "", "code": code})
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script, "1800000000")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyotp: %v", err)
	}
	var got []struct{ Name, Issuer, Code string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		p := otp.Params{Algorithm: r.Algorithm, Digits: r.Digits, Period: time.Duration(r.Period) * time.Second}
		c := r.Counter
		if r.Type == TypeTOTP {
			c = p.Step(time.Unix(1_800_000_000, 0))
		}
		if want := otp.Generate(r.Secret, c, p); got[i].Name != r.User || got[i].Issuer != r.Issuer || got[i].Code != want {
			t.Errorf("pyotp read record %d as %+v; want name %q, issuer %q, code %s", i, got[i], r.User, r.Issuer, want)
		}
	}
}
