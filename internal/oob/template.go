package oob

import (
	"fmt"
	"slices"
	"strings"
)

// Template is a text with fields: {name} is replaced by the field's value,
// {{ is a literal {. Any other { is an error, so that a misspelt field is
// found when the configuration is read, not when a user waits for a code.
type Template struct {
	parts []part
}

type part struct {
	text  string
	field bool // text is a field's name
}

// The fields of message templates.
var messageFields = []string{"code", "lifetime", "source", "vpn", "user"}

// ParseTemplate parses s, whose fields must be among fields.
func ParseTemplate(s string, fields ...string) (*Template, error) {
	t := &Template{}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			lit.WriteByte(s[i])
			continue
		}
		if strings.HasPrefix(s[i:], "{{") {
			lit.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("oob: template: { at byte %d is not closed (write {{ for a literal {)", i)
		}
		name := s[i+1 : i+end]
		if !slices.Contains(fields, name) {
			return nil, fmt.Errorf("oob: template: unknown field {%s} (accepted: %s; {{ for a literal {)", name, braced(fields))
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, part{text: name, field: true})
		i += end
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t, nil
}

func braced(fields []string) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = "{" + f + "}"
	}
	return strings.Join(out, ", ")
}

// Uses reports whether t has the field name.
func (t *Template) Uses(name string) bool {
	return slices.Contains(t.parts, part{text: name, field: true})
}

// Expand returns t with each field replaced by its value in vals; a field
// missing from vals becomes empty.
func (t *Template) Expand(vals map[string]string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field {
			b.WriteString(vals[p.text])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}
