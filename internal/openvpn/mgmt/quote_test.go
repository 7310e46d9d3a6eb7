package mgmt

import (
	"errors"
	"strings"
	"testing"
)

// splitLine is a model of OpenVPN's parse_line (options.c) for the
// commands this package sends: words separated by spaces, double quotes
// group, and a backslash outside single quotes takes the next character
// literally.
func splitLine(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, inQuote, esc := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			cur.WriteByte(c)
			esc = false
		case c == '\\':
			esc, inWord = true, true
		case c == '"':
			inQuote, inWord = !inQuote, true
		case c == ' ' && !inQuote:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func TestQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alice", `"alice"`},
		{`pa"ss\word`, `"pa\"ss\\word"`},
		{"", `""`},
		{"SCRV1:YmFy:ODY3NTMwOQ==", `"SCRV1:YmFy:ODY3NTMwOQ=="`},
		{"a b  c", `"a b  c"`},
		{"élise $(id) 'x'", `"élise $(id) 'x'"`},
	} {
		got, err := Quote(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Quote(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a\nb", "a\rb", "a\x00b", "a\x7fb", "tab\there", strings.Repeat("x", MaxParam+1)} {
		if _, err := Quote(bad); !errors.Is(err, ErrParam) {
			t.Errorf("Quote(%q) = %v; want ErrParam", bad, err)
		}
	}
}

func TestCommandLength(t *testing.T) {
	p := strings.Repeat(`"`, MaxParam) // doubles when escaped
	if _, err := command([]string{"client-deny", "1", "2"}, p, p); !errors.Is(err, ErrParam) {
		t.Errorf("command over %d bytes = %v; want ErrParam", MaxLine, err)
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"alice", `pa"ss\word`, "", "a b", `\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if err != nil {
			return
		}
		if got := splitLine("password \"Auth\" " + q); len(got) != 3 || got[2] != s {
			t.Errorf("Quote(%q) = %s, which OpenVPN reads as %q", s, q, got)
		}
		if strings.ContainsAny(q, "\r\n") {
			t.Errorf("Quote(%q) spans lines", s)
		}
	})
}
