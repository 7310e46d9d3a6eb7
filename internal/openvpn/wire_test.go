package openvpn

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Examples from OpenVPN's management-notes.txt and the reference's live
// captures.
var scrv1Tests = []struct {
	in             string
	password, code string
	ok             bool
}{
	{"SCRV1:YmFy:ODY3NTMwOQ==", "bar", "8675309", true},   // management-notes.txt
	{"SCRV1:c2VjcmV0:NjU0MzIx", "secret", "654321", true}, // OpenVPN 2.6.14 capture
	{"SCRV1::MTIzNDU2", "", "123456", true},
	{"SCRV1:c2VjcmV0:", "secret", "", true},
	{"SCRV1:c2VjcmV0:NjU0MzIx\n", "", "", false},
	{"SCRV1:YmFy:ODY3NTMwOQ", "bar", "8675309", true}, // unpadded
	{"SCRV1:YmFy", "", "", false},
	{"SCRV1:YmFy:ODY3:NTMw", "", "", false},
	{"SCRV1:!!!!:ODY3NTMwOQ==", "", "", false},
	{"SCRV1:YmFy:ODY3NTMwOQ=", "", "", false},
	{"SCRV2:YmFy:ODY3NTMwOQ==", "", "", false},
	{"SCRV1:" + "YQ==", "", "", false},
	{"SCRV1:YQpi:MTIz", "", "", false}, // password "a\nb"
	{"SCRV1:" + strings.Repeat("QUFB", 1400) + ":MTIz", "", "", false},
}

func TestParseSCRV1(t *testing.T) {
	for _, tt := range scrv1Tests {
		pw, code, err := ParseSCRV1(tt.in)
		if (err == nil) != tt.ok || pw != tt.password || code != tt.code {
			t.Errorf("ParseSCRV1(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, pw, code, err, tt.password, tt.code, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSCRV1(%q) error %v does not wrap ErrMalformed", tt.in, err)
		}
	}
}

func TestFormatSCRV1(t *testing.T) {
	if got, want := FormatSCRV1("bar", "8675309"), "SCRV1:YmFy:ODY3NTMwOQ=="; got != want {
		t.Errorf("FormatSCRV1(bar, 8675309) = %q; want %q", got, want)
	}
}

func TestCRV1(t *testing.T) {
	// management-notes.txt's example challenge.
	const s = "CRV1:R,E:Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l:Y3Ix:Please enter token PIN"
	c, err := ParseCRV1(s)
	want := CRV1{Echo: true, Response: true, StateID: "Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l", User: "cr1", Text: "Please enter token PIN"}
	if err != nil || c != want {
		t.Fatalf("ParseCRV1(%q) = %+v, %v; want %+v", s, c, err, want)
	}
	if got := c.String(); got != s {
		t.Errorf("CRV1.String() = %q; want %q", got, s)
	}
	for _, bad := range []string{
		"CRV1:R,E:st:YWxpY2U=", "CRV1:R,E::YWxpY2U=:text", "CRV1:R,E:st:@@@:text", "CRV2:R:st:YQ==:x",
		"CRV1:R:s t:YQ==:x", "CRV1:R:" + strings.Repeat("s", 129) + ":YQ==:x",
	} {
		if _, err := ParseCRV1(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCRV1(%q) = %v; want ErrMalformed", bad, err)
		}
	}
	if c, err := ParseCRV1("CRV1:FIDO2,R:reg:YQ==:text:with:colons"); err != nil || c.Echo || !c.Response || c.Text != "text:with:colons" {
		t.Errorf("ParseCRV1 with an unknown flag and colons in the text = %+v, %v", c, err)
	}
}

func TestCRV1Check(t *testing.T) {
	ok := CRV1{Response: true, StateID: "abc", User: "alice", Text: "Code"}
	if err := ok.Check(); err != nil {
		t.Errorf("Check(%+v) = %v; want nil", ok, err)
	}
	for _, c := range []CRV1{
		{StateID: "a:b", User: "alice", Text: "x"},
		{StateID: "a", User: "", Text: "x"},
		{StateID: "a", User: "alice", Text: "line\nbreak"},
		{StateID: "a", User: "alice", Text: strings.Repeat("x", MaxChallengeText+1)},
	} {
		if err := c.Check(); err == nil {
			t.Errorf("Check(%+v) = nil; want an error", c)
		}
	}
}

var crv1AnswerTests = []struct {
	in, state, resp string
	ok              bool
}{
	{"CRV1::Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l::8675309", "Om01u7Fh4LrGBS7uh0SWmzwabUiGiW6l", "8675309", true},
	{"CRV1::st4te1d::123456", "st4te1d", "123456", true}, // 2.6.14 capture
	{"CRV1::st::", "st", "", true},
	{"CRV1::st::a::b", "st", "a::b", true},
	{"CRV1::::123", "", "", false},
	{"CRV1::st:123", "", "", false},
	{"CRV1:st::123", "", "", false},
	{"CRV1::s t::123", "", "", false},
}

func TestParseCRV1Answer(t *testing.T) {
	for _, tt := range crv1AnswerTests {
		st, resp, err := ParseCRV1Answer(tt.in)
		if (err == nil) != tt.ok || st != tt.state || resp != tt.resp {
			t.Errorf("ParseCRV1Answer(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, st, resp, err, tt.state, tt.resp, tt.ok)
		}
	}
	if got := FormatCRV1Answer("st4te1d", "123456"); got != "CRV1::st4te1d::123456" {
		t.Errorf("FormatCRV1Answer = %q", got)
	}
}

func TestCRText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want CRText
	}{
		{"CR_TEXT:E,R:Please enter your TOTP code!", CRText{Echo: true, Response: true, Text: "Please enter your TOTP code!"}}, // totpauth.py
		{"CR_TEXT:R,E:Enter code", CRText{Echo: true, Response: true, Text: "Enter code"}},
		{"CR_TEXT:R:a:b", CRText{Response: true, Text: "a:b"}},
		{"CR_TEXT::", CRText{}},
	} {
		got, err := ParseCRText(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCRText(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"CR_TEXT", "CR_TEXT:R", "CRTEXT:R:x"} {
		if _, err := ParseCRText(bad); err == nil {
			t.Errorf("ParseCRText(%q) = nil error", bad)
		}
	}
	if got := (CRText{Echo: true, Response: true, Text: "Code"}).String(); got != "CR_TEXT:R,E:Code" {
		t.Errorf("CRText.String() = %q", got)
	}
}

func TestParseCRResponse(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"MTIzNDU2\n", "123456", true}, // the file OpenVPN 2.6.14 wrote
		{"MTIzNDU2", "123456", true},
		{"  MDEyMzQ1Ng==\r\n", "0123456", true},
		{"MTIzNDU", "12345", true},
		{"", "", false},
		{"\n", "", false},
		{"MTIz NDU2", "", false},
		{"!!!!", "", false},
		{"MTIKNDU2", "", false}, // "12\n456"
		{"IDEyMzQ1", "", false}, // " 12345"
		{"/w==", "", false},     // 0xff
		{strings.Repeat("MTIz", 80), "", false},
	} {
		got, err := ParseCRResponse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCRResponse(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestPendingFile(t *testing.T) {
	b, err := PendingFile{Timeout: 300 * time.Second, Method: MethodCRText, Extra: "CR_TEXT:R,E:Please enter your TOTP code"}.Marshal()
	if want := "300\ncrtext\nCR_TEXT:R,E:Please enter your TOTP code\n"; err != nil || string(b) != want {
		t.Errorf("Marshal = %q, %v; want %q", b, err, want)
	}
	for _, p := range []PendingFile{
		{Timeout: 500 * time.Millisecond, Method: "crtext", Extra: "x"},
		{Timeout: time.Second, Method: "", Extra: "x"},
		{Timeout: time.Second, Method: "crtext", Extra: "a\nb"},
		{Timeout: time.Second, Method: "crtext", Extra: strings.Repeat("x", 1024)},
	} {
		if _, err := p.Marshal(); err == nil {
			t.Errorf("Marshal(%+v) = nil error", p)
		}
	}
}

func TestPendingControl(t *testing.T) {
	b, err := MarshalPendingControl("0123abcd")
	if err != nil || string(b) != "pending:0123abcd\n" {
		t.Fatalf("MarshalPendingControl = %q, %v", b, err)
	}
	if b[0] == '0' || b[0] == '1' {
		t.Fatalf("pending control starts with a verdict byte %q", b[0])
	}
	if id, err := ParsePendingControl(b); err != nil || id != "0123abcd" {
		t.Errorf("ParsePendingControl(%q) = %q, %v", b, id, err)
	}
	for _, bad := range []string{"", "1", "0", "pending:", "pending:a:b", "pend:abc"} {
		if _, err := ParsePendingControl([]byte(bad)); err == nil {
			t.Errorf("ParsePendingControl(%q) = nil error", bad)
		}
	}
	if _, err := MarshalPendingControl("a\nb"); err == nil {
		t.Errorf("MarshalPendingControl accepted a line break")
	}
}

func TestParseCredentialsFile(t *testing.T) {
	for _, tt := range []struct {
		in, user, pw string
		ok           bool
	}{
		{"alice\nsecret\n", "alice", "secret", true}, // what OpenVPN writes
		{"alice\nsecret", "alice", "secret", true},
		{"alice\n\n", "alice", "", true},
		{"../évil user;$(id)`\"'\nsecret\n", "../évil user;$(id)`\"'", "secret", true}, // passed on, never used as a path
		{"alice\n", "", "", false},
		{"alice\nsecret\nextra\n", "", "", false},
		{"\nsecret\n", "", "", false},
		{"al\x01ice\nsecret\n", "", "", false},
		{"\xff\xfe\nsecret\n", "", "", false},
		{strings.Repeat("a", 10240) + "\nsecret\n", "", "", false},
		{"alice\nsec\rret\n", "", "", false},
		{"alice\nsec\x00ret\n", "", "", false},
		{"", "", "", false},
	} {
		u, p, err := ParseCredentialsFile([]byte(tt.in))
		if (err == nil) != tt.ok || u != tt.user || p != tt.pw {
			t.Errorf("ParseCredentialsFile(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, u, p, err, tt.user, tt.pw, tt.ok)
		}
	}
}
