package oob

import (
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	vals := map[string]string{"code": "012345", "vpn": "Example VPN", "user": "{code}"}
	for _, tt := range []struct {
		in, want string // want "" for a parse error
	}{
		{"Your {vpn} code is {code}", "Your Example VPN code is 012345"},
		{"{code}{code}", "012345012345"},
		{"no fields", "no fields"},
		{"a literal {{ and } stay", "a literal { and } stay"},
		{"{{code}", "{code}"},
		{"user {user} is not expanded again", "user {code} is not expanded again"},
		{"{lifetime} left", " left"},
		{"{unknown}", ""},
		{"{code", ""},
		{"{ code }", ""},
		{"{}", ""},
	} {
		p, err := ParseTemplate(tt.in, messageFields...)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseTemplate(%q) = nil error; want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTemplate(%q) = %v", tt.in, err)
			continue
		}
		if got := p.Expand(vals); got != tt.want {
			t.Errorf("ParseTemplate(%q).Expand = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplateUses(t *testing.T) {
	p, _ := ParseTemplate("{code} for {{vpn}", messageFields...)
	if !p.Uses("code") || p.Uses("vpn") {
		t.Errorf("Uses(code), Uses(vpn) = %v, %v; want true, false ({{vpn} is literal)", p.Uses("code"), p.Uses("vpn"))
	}
}

// FuzzParseTemplate: a template that parses expands, with each field set
// to its own {name}, back to its text with {{ read as {.
func FuzzParseTemplate(f *testing.F) {
	f.Add("Your {vpn} code is {code}")
	f.Add("{{code}} {")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseTemplate(s, messageFields...)
		if err != nil {
			return
		}
		vals := map[string]string{}
		for _, name := range messageFields {
			vals[name] = "{" + name + "}"
		}
		if got, want := p.Expand(vals), strings.ReplaceAll(s, "{{", "{"); got != want {
			t.Errorf("ParseTemplate(%q).Expand(names) = %q; want %q", s, got, want)
		}
	})
}
