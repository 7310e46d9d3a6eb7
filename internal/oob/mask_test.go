package oob

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alice@example.org", "a***@example.org"},
		{"a@example.org", "a***@example.org"},
		{"élodie@example.org", "é***@example.org"},
		{"5551234567@sms.example.net", "5***@sms.example.net"},
		{"@example.org", "***@example.org"},
		{"+15551234567", "+1********67"},
		{"+1555123467", "+1*******67"},
		{"1234567", "12***67"},
		{"123456", "****56"},
		{"12", "**"},
		{"", ""},
	} {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMask: a masked phone number keeps its length and stars all but its
// first two and last two characters; a masked mail address is its first
// character, *** and its domain.
func FuzzMask(f *testing.F) {
	f.Add("alice@example.org")
	f.Add("+15551234567")
	f.Fuzz(func(t *testing.T, addr string) {
		if local, domain, ok := strings.Cut(addr, "@"); ok {
			if got, want := Mask(addr), firstRune(local)+"***@"+domain; got != want {
				t.Errorf("Mask(%q) = %q; want %q", addr, got, want)
			}
			return
		}
		got := []rune(Mask(addr))
		in := []rune(addr)
		if len(got) != len(in) {
			t.Fatalf("Mask(%q) = %q; want %d characters", addr, string(got), len(in))
		}
		for i := range in {
			if i >= 2 && i < len(in)-2 && got[i] != '*' {
				t.Errorf("Mask(%q) = %q shows character %d", addr, string(got), i)
			}
		}
	})
}
