package yubival

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// clientKey is the key of client 1851 in yubico-c-client's self test; the
// signatures below were computed with Python's hmac module.
var clientKey, _ = base64.StdEncoding.DecodeString("oBVbNt7IZehZGR99rvq8d6RZ1DM=")

// The spec's examples: the request URLs of "Request", and the message of
// "Verifying signatures" (b=1&a=2&c=3, with and without its h).
const (
	specOTP     = "vvvvvvcucrlcietctckflvnncdgckubflugerlnr"
	specQuery   = "otp=" + specOTP + "&id=87&timeout=8&sl=50&nonce=askjdnkajsndjkasndkjsnad"
	specQueryTS = "id=87&otp=" + specOTP + "&timeout=8&sl=50&nonce=askjdnkajsndjkasndkjsnad&timestamp=1"
)

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		key    []byte
		want   string
	}{
		{"spec message sorted", map[string]string{"b": "1", "a": "2", "c": "3"}, clientKey, "5iHixfktLHEbV85Gp0u80psu7Qo="},
		{"h left out", map[string]string{"b": "1", "a": "2", "c": "3", "h": "V5FkMYr9GCG9tQA9ihuuybWl99U="}, clientKey, "5iHixfktLHEbV85Gp0u80psu7Qo="},
		{"spec request", query(t, specQuery), clientKey, "Ko/kb9/pOP0dBlJe63X//jpccME="},
		{"spec request with timestamp", query(t, specQueryTS), clientKey, "TRKeZqrjUmjdmRrBSpxEbuzu+P0="},
		{"nothing", map[string]string{}, clientKey, "Zh2WNWedjLpwz5IxPX2ihHnyXbM="},
		{"unknown client, no key", map[string]string{"status": "NO_SUCH_CLIENT", "t": "2008-11-21T06:11:55Z0711"}, nil, "FggBtH/qbCmGVJO3BCU2nNtsqp0="},
	}
	for _, tt := range tests {
		if got := Sign(tt.params, tt.key); got != tt.want {
			t.Errorf("%s: Sign(%v) = %s; want %s", tt.name, tt.params, got, tt.want)
		}
		if !Verify(tt.params, tt.want, tt.key) {
			t.Errorf("%s: Verify(%v, %s) = false", tt.name, tt.params, tt.want)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	p := query(t, specQuery)
	good := Sign(p, clientKey)
	other := append([]byte(nil), clientKey...)
	other[0] ^= 1
	for name, h := range map[string]string{
		"empty": "", "truncated": good[:len(good)-4], "not base64": "!!!!", "other key": Sign(p, other),
		"unpadded": strings.TrimRight(good, "="), "url-safe": strings.NewReplacer("+", "-", "/", "_").Replace(Sign(p, clientKey)) + "x",
	} {
		if Verify(p, h, clientKey) {
			t.Errorf("Verify(%s signature %q) = true", name, h)
		}
	}
	changed := query(t, specQuery)
	changed["sl"] = "49"
	if Verify(changed, good, clientKey) {
		t.Error("Verify(a changed parameter) = true")
	}
}

func query(t *testing.T, raw string) map[string]string {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for k, v := range q {
		m[k] = v[0]
	}
	return m
}

func TestParseRequestSpecExamples(t *testing.T) {
	for _, tt := range []struct{ raw string }{{specQuery}, {specQueryTS}} {
		q, _ := url.ParseQuery(tt.raw)
		r, err := ParseRequest(q)
		if err != nil {
			t.Fatalf("ParseRequest(%s) = %v", tt.raw, err)
		}
		if r.ID != "87" || r.OTP != specOTP || r.Nonce != "askjdnkajsndjkasndkjsnad" || r.SL != "50" ||
			r.Timeout != 8 || r.Signed() {
			t.Errorf("ParseRequest(%s) = %+v", tt.raw, r)
		}
		q.Set("h", Sign(query(t, tt.raw), clientKey))
		r, err = ParseRequest(q)
		if err != nil || !r.Signed() || !r.SignedBy(clientKey) {
			t.Errorf("ParseRequest(signed %s) = %+v, %v; want signed by the client's key", tt.raw, r, err)
		}
		if r.SignedBy(clientKey[1:]) {
			t.Error("SignedBy(another key) = true")
		}
	}
}

func TestParseRequestRefuses(t *testing.T) {
	base := "id=87&otp=" + specOTP + "&nonce=askjdnkajsndjkasndkjsnad"
	tests := []struct {
		raw  string
		want Status
		text string
	}{
		{"otp=" + specOTP + "&nonce=askjdnkajsndjkasndkjsnad", MissingParameter, "no id"},
		{base + "&id=88", MissingParameter, `"id" given 2 times`},
		{strings.Replace(base, "id=87", "id=0", 1), MissingParameter, `id "0"`},
		{strings.Replace(base, "id=87", "id=-1", 1), MissingParameter, `id "-1"`},
		{strings.Replace(base, "id=87", "id=%2B87", 1), MissingParameter, `id "+87"`},
		{strings.Replace(base, "id=87", "id=99999999999", 1), MissingParameter, "not a client id"},
		{"id=87&otp=" + specOTP, MissingParameter, "no nonce"},
		{strings.Replace(base, "askjdnkajsndjkasndkjsnad", "short", 1), MissingParameter, "nonce of 5 characters"},
		{strings.Replace(base, "askjdnkajsndjkasndkjsnad", strings.Repeat("a", 41), 1), MissingParameter, "nonce of 41"},
		{strings.Replace(base, "askjdnkajsndjkasndkjsnad", "askjdnkajsndjkasndkjsna-", 1), MissingParameter, "letters and digits"},
		{base + "&sl=101", MissingParameter, `sl "101"`},
		{base + "&sl=half", MissingParameter, `sl "half"`},
		{base + "&timeout=-3", MissingParameter, `timeout "-3"`},
		{base + "&timeout=3601", MissingParameter, `timeout "3601"`},
		{"id=87&nonce=askjdnkajsndjkasndkjsnad", MissingParameter, "no otp"},
		{strings.Replace(base, specOTP, specOTP[:32], 1), BadOTP, "otp of 32 characters"},
		{strings.Replace(base, specOTP, specOTP+"cccccccccc", 1), BadOTP, "otp of 50"},
		{strings.Replace(base, specOTP, "a"+specOTP[1:], 1), BadOTP, "modhex"},
		{base + "&x=" + strings.Repeat("y", 257), MissingParameter, "at most 256"},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseRequest(q)
		var e *Error
		if !errors.As(err, &e) || e.Status != tt.want || !strings.Contains(err.Error(), tt.text) || ErrorStatus(err) != tt.want {
			t.Errorf("ParseRequest(%s) = %v; want %s with %q", tt.raw, err, tt.want, tt.text)
		}
	}
}

func TestParseRequestKeepsOTPAndCase(t *testing.T) {
	upper := strings.ToUpper(specOTP)
	q, _ := url.ParseQuery("id=007&nonce=ABCDEFGHIJKLMNOP1234&timestamp=yes&sl=secure&extra=1&otp=" + upper)
	r, err := ParseRequest(q)
	if err != nil || r.OTP != upper || r.ID != "7" || r.SL != "secure" {
		t.Fatalf("ParseRequest() = %+v, %v; want the OTP unchanged, id 7, sl secure", r, err)
	}
	// The signature covers the parameters as sent: id=007 and extra=1 too.
	q.Set("h", Sign(query(t, q.Encode()), clientKey))
	if r, _ := ParseRequest(q); !r.SignedBy(clientKey) {
		t.Error("SignedBy() = false for a signature over every parameter as sent")
	}
}

func TestResponseEncode(t *testing.T) {
	now := time.Date(2008, 11, 21, 6, 11, 55, 711_999_999, time.UTC)
	q, _ := url.ParseQuery(specQueryTS)
	r, err := ParseRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	resp := For(&r, OK, now)
	got := string(resp.Encode(clientKey))
	lines := "t=2008-11-21T06:11:55Z0711\r\notp=" + specOTP + "\r\nnonce=askjdnkajsndjkasndkjsnad\r\nsl=100\r\nstatus=OK\r\n\r\n"
	h, rest, _ := strings.Cut(got, "\r\n")
	if rest != lines {
		t.Errorf("Encode() =\n%q\nwant\n%q", rest, lines)
	}
	params := parseResponse(t, got)
	if h != "h="+params["h"] || !Verify(params, params["h"], clientKey) {
		t.Errorf("Encode(): h = %q does not sign the rest", h)
	}
}

func TestResponseWithoutRequest(t *testing.T) {
	resp := Response{Status: NoSuchClient, Time: time.Date(2008, 11, 21, 6, 11, 55, 711e6, time.Local), SL: SyncLevel}
	got := string(resp.Encode(nil))
	if want := "h=FggBtH/qbCmGVJO3BCU2nNtsqp0=\r\nt=2008-11-21T06:11:55Z0711\r\nstatus=NO_SUCH_CLIENT\r\n\r\n"; got != want {
		t.Errorf("Encode() = %q; want %q", got, want)
	}
}

// parseResponse reads a response as yubico-c-client does: key=value pairs
// separated by white space.
func parseResponse(t *testing.T, body string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range strings.Fields(body) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("response field %q has no =", f)
		}
		m[k] = v
	}
	return m
}

func FuzzParseRequest(f *testing.F) {
	f.Add(specQuery)
	f.Add(specQueryTS + "&h=Ko/kb9/pOP0dBlJe63X//jpccME=")
	f.Add("id=1&id=2")
	f.Add("otp=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseRequest(q)
		if err != nil {
			if s := ErrorStatus(err); s != MissingParameter && s != BadOTP {
				t.Fatalf("ParseRequest(%q) = %v with status %s", raw, err, s)
			}
			return
		}
		if r.ID == "" || len(r.Nonce) < MinNonce || len(r.OTP) > MaxOTP || r.Timeout < 0 {
			t.Fatalf("ParseRequest(%q) accepted %+v", raw, r)
		}
		resp := For(&r, OK, time.Unix(0, 0))
		body := string(resp.Encode(clientKey))
		if strings.Count(body, "\r\n") != strings.Count(body, "\n") || !strings.HasSuffix(body, "\r\n\r\n") {
			t.Fatalf("response to %q has a stray line break: %q", raw, body)
		}
		if r.SignedBy(clientKey) != (r.H == Sign(r.params, clientKey)) {
			t.Fatalf("SignedBy disagrees with Sign for %q", raw)
		}
	})
}
