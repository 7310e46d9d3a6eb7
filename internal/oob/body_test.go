package oob

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// hostile is a value that would break a body built by pasting text.
const hostile = `"}, "admin": true, "x": "&to=+19999999999&text=` + "\n\x00é"

func TestBodyForm(t *testing.T) {
	b, err := parseBody(FormatForm, "to={to}&text={message}&key={api_key}&from=VPN%20Gate")
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := b.expand(map[string]string{"to": "+15551234567", "message": hostile, "api_key": "k&y"})
	if ctype != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ctype)
	}
	got, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("the body %q does not parse: %v", body, err)
	}
	want := url.Values{"to": {"+15551234567"}, "text": {hostile}, "key": {"k&y"}, "from": {"VPN Gate"}}
	if got.Encode() != want.Encode() {
		t.Errorf("form body = %v; want %v", got, want)
	}
}

func TestBodyJSON(t *testing.T) {
	b, err := parseBody(FormatJSON, `{"messages": [{"to": "{to}", "body": "Code: {message}"}], "flash": false, "ttl": 900}`)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := b.expand(map[string]string{"to": "+15551234567", "message": hostile})
	if ctype != "application/json" {
		t.Errorf("Content-Type = %q", ctype)
	}
	var got struct {
		Messages []struct{ To, Body string }
		Flash    bool
		TTL      int
		Admin    *bool
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("the body %s is not JSON: %v", body, err)
	}
	if len(got.Messages) != 1 || got.Messages[0].To != "+15551234567" || got.Messages[0].Body != "Code: "+strings.ToValidUTF8(hostile, "") ||
		got.Flash || got.TTL != 900 || got.Admin != nil {
		t.Errorf("json body = %s; want the template with the values as strings", body)
	}
}

func TestParseBodyErrors(t *testing.T) {
	for _, tt := range []struct{ format, body string }{
		{"xml", "<to>{to}</to>"},
		{FormatForm, "to={to}"},
		{FormatForm, "text={message}"},
		{FormatForm, "to={to}&text={mesage}"},
		{FormatForm, "to={to}&%zz={message}"},
		{FormatForm, "to={to}&={message}"},
		{FormatJSON, `{"to": "{to}", "text": "{message}"`},
		{FormatJSON, `{"to": "{to}", "text": "{message}"} {}`},
		{FormatJSON, `{"to": "{to}", "text": "{vpn}"}`},
		{FormatJSON, `{"to": "{to}"}`},
	} {
		if _, err := parseBody(tt.format, tt.body); err == nil {
			t.Errorf("parseBody(%s, %q) = nil error; want an error", tt.format, tt.body)
		}
	}
}

// FuzzBody: whatever the values, an expanded body parses in its format and
// has the template's structure: the same form keys, the same JSON shape.
func FuzzBody(f *testing.F) {
	f.Add(FormatJSON, `{"to": "{to}", "m": ["{message}", 1, null]}`, hostile)
	f.Add(FormatForm, "to={to}&m={message}", hostile)
	f.Fuzz(func(t *testing.T, format, tmpl, value string) {
		b, err := parseBody(format, tmpl)
		if err != nil {
			return
		}
		empty, _ := b.expand(map[string]string{})
		full, _ := b.expand(map[string]string{"to": value, "message": value, "code": value, "api_key": value})
		if format == FormatForm {
			e, err1 := url.ParseQuery(string(empty))
			v, err2 := url.ParseQuery(string(full))
			if err1 != nil || err2 != nil || len(e) != len(v) {
				t.Errorf("form %q with %q: %q, %v; want the keys of %q", tmpl, value, full, err2, empty)
			}
			return
		}
		var e, v any
		if err := json.Unmarshal(full, &v); err != nil {
			t.Fatalf("json %q with %q = %s, not JSON: %v", tmpl, value, full, err)
		}
		json.Unmarshal(empty, &e)
		if shape(e) != shape(v) {
			t.Errorf("json %q with %q has shape %s; want %s", tmpl, value, shape(v), shape(e))
		}
	})
}

// shape describes a JSON value's structure without its strings.
func shape(v any) string {
	switch c := v.(type) {
	case map[string]any:
		s := "{"
		for _, k := range sortedKeys(c) {
			s += k + ":" + shape(c[k]) + ","
		}
		return s + "}"
	case []any:
		s := "["
		for _, e := range c {
			s += shape(e) + ","
		}
		return s + "]"
	case string:
		return "s"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
