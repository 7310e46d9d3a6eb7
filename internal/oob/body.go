package oob

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// bodyTemplate is an HTTP gateway's body: a form or a JSON document whose
// values are templates. It is parsed into its structure once, and values
// are put into the structure and encoded by the format's own encoder, so
// that no value can add a form field or break out of a JSON string.
type bodyTemplate struct {
	format string
	form   []formPair
	json   any // the document, with a *Template for each string
}

type formPair struct {
	key   string
	value *Template
}

func parseBody(format, body string) (bodyTemplate, error) {
	b := bodyTemplate{format: format}
	var err error
	switch format {
	case FormatForm:
		b.form, err = parseForm(body)
	case FormatJSON:
		b.json, err = parseJSON(body)
	default:
		return b, fmt.Errorf("oob: sms body format %q (accepted: %s, %s)", format, FormatForm, FormatJSON)
	}
	if err != nil {
		return b, err
	}
	if !b.uses("message") && !b.uses("code") {
		return b, errors.New("oob: sms body has neither {message} nor {code}: the code would not reach the phone")
	}
	if !b.uses("to") {
		return b, errors.New("oob: sms body has no {to}: the gateway would not know the number")
	}
	return b, nil
}

func parseForm(body string) ([]formPair, error) {
	var pairs []formPair
	for _, kv := range strings.Split(body, "&") {
		k, v, _ := strings.Cut(kv, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || key == "" {
			return nil, fmt.Errorf("oob: sms form body: %q is not name=value (percent-encoded)", kv)
		}
		t, err := ParseTemplate(val, bodyFields...)
		if err != nil {
			return nil, fmt.Errorf("oob: sms form body, field %s: %w", key, err)
		}
		pairs = append(pairs, formPair{key, t})
	}
	return pairs, nil
}

func parseJSON(body string) (any, error) {
	d := json.NewDecoder(strings.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("oob: sms json body: %w", err)
	}
	if d.More() {
		return nil, errors.New("oob: sms json body: more than one JSON value")
	}
	return templated(v)
}

// templated replaces every string of a decoded document by its template.
func templated(v any) (any, error) {
	switch c := v.(type) {
	case string:
		return ParseTemplate(c, bodyFields...)
	case map[string]any:
		for k, e := range c {
			t, err := templated(e)
			if err != nil {
				return nil, fmt.Errorf("oob: sms json body, key %q: %w", k, err)
			}
			c[k] = t
		}
	case []any:
		for i, e := range c {
			t, err := templated(e)
			if err != nil {
				return nil, err
			}
			c[i] = t
		}
	}
	return v, nil
}

func (b bodyTemplate) uses(field string) bool {
	found := false
	b.walk(func(t *Template) { found = found || t.Uses(field) })
	return found
}

func (b bodyTemplate) walk(fn func(*Template)) {
	for _, p := range b.form {
		fn(p.value)
	}
	var visit func(any)
	visit = func(v any) {
		switch c := v.(type) {
		case *Template:
			fn(c)
		case map[string]any:
			for _, e := range c {
				visit(e)
			}
		case []any:
			for _, e := range c {
				visit(e)
			}
		}
	}
	visit(b.json)
}

// expand returns the body with vals in place, and its Content-Type.
func (b bodyTemplate) expand(vals map[string]string) ([]byte, string) {
	if b.format == FormatForm {
		var parts []string
		for _, p := range b.form {
			parts = append(parts, url.QueryEscape(p.key)+"="+url.QueryEscape(p.value.Expand(vals)))
		}
		return []byte(strings.Join(parts, "&")), "application/x-www-form-urlencoded"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(expandJSON(b.json, vals)) // strings, numbers, booleans and nulls always encode
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json"
}

func expandJSON(v any, vals map[string]string) any {
	switch c := v.(type) {
	case *Template:
		return c.Expand(vals)
	case map[string]any:
		out := make(map[string]any, len(c))
		for k, e := range c {
			out[k] = expandJSON(e, vals)
		}
		return out
	case []any:
		out := make([]any, len(c))
		for i, e := range c {
			out[i] = expandJSON(e, vals)
		}
		return out
	}
	return v
}
