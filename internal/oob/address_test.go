package oob

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, tt := range []struct {
		ch   Channel
		in   string
		want string // "" for an error
	}{
		{Email, "alice@example.org", "alice@example.org"},
		{Email, "Alice <alice@example.org>", ""},
		{Email, "alice@example.org\r\nBcc: eve@example.org", ""},
		{Email, "alice", ""},
		{Email, "alice@@example.org", ""},
		{Email, "+15551234567", ""},
		{SMS, "5551234567@sms.example.net", "5551234567@sms.example.net"},
		{SMS, "+1 (555) 123-4567", "+15551234567"},
		{SMS, "555.123.4567", "5551234567"},
		{SMS, "12345", ""},
		{SMS, "+1234567890123456", ""},
		{SMS, "1+5551234567", ""},
		{SMS, "555-CALL-NOW", ""},
		{"voice", "alice@example.org", ""},
	} {
		got, err := ParseAddress(tt.ch, tt.in)
		if tt.want == "" && err == nil || tt.want != "" && (err != nil || got != tt.want) {
			t.Errorf("ParseAddress(%s, %q) = %q, %v; want %q", tt.ch, tt.in, got, err, tt.want)
		}
		if err != nil && len(tt.in) > 3 && strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseAddress(%s, %q) error %q quotes the address", tt.ch, tt.in, err)
		}
	}
}
