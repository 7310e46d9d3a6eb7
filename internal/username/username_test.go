package username

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string // want "" for a refusal
	}{
		{"alice", "alice"},
		{"EXAMPLE\\alice", "EXAMPLE\\alice"},
		{"alice@example.org", "alice@example.org"},
		{"Zoë Smith", "Zoë Smith"},
		{"Zoe\u0308", "Zoë"}, // decomposed: e and a combining diaeresis
		{"ｆｕｌｌ", "ｆｕｌｌ"},     // NFC keeps compatibility forms: NFKC would merge names a directory keeps apart
		{"o'brien-2", "o'brien-2"},
		{"用户", "用户"},
		{"../$(id);`x`", "../$(id);`x`"}, // never a path or a shell word, so harmless
		{strings.Repeat("a", MaxLen), strings.Repeat("a", MaxLen)},
		{"", ""},
		{strings.Repeat("a", MaxLen+1), ""},
		{strings.Repeat("é", MaxLen), ""},
		{strings.Repeat("x", 120000), ""},
		{"alice\n", ""},
		{"ali\nce", ""},
		{"alice\r", ""},
		{"\x1b[31malice", ""},
		{"ali\x00ce", ""},
		{"ali\x7fce", ""},
		{"ali\u0085ce", ""}, // C1 next line
		{"ali\tce", ""},
		{" alice", ""},
		{"alice ", ""},
		{"alice\u00a0", ""},       // no-break space
		{"ali\u00a0ce", ""},       // looks like a space
		{"ali\u200bce", ""},       // zero-width space
		{"ali\u202ece", ""},       // right-to-left override
		{"ali\u2028ce", ""},       // line separator
		{"ali\ue000ce", ""},       // private use
		{"ali\U000e0001ce", ""},   // language tag
		{"ali\xffce", ""},         // not UTF-8
		{"ali\xed\xa0\x80ce", ""}, // an encoded surrogate
		{"\u0378", ""},            // unassigned
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Errorf("Canonical(%q) = %q, %v; want an ErrInvalid", short(tt.in), got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	if err := Check("Zoë"); err != nil {
		t.Errorf("Check(composed) = %v", err)
	}
	if err := Check("Zoe\u0308"); err == nil || !strings.Contains(err.Error(), "Normalization Form C") {
		t.Errorf("Check(decomposed) = %v; want a refusal naming the normal form", err)
	}
	if err := Check("a\nb"); err == nil {
		t.Error("Check accepted a newline")
	}
}

// TestErrorIsOneLine: a refusal quotes the name, so that a hostile one
// cannot add lines to a log or an error message, and cuts a long one.
func TestErrorIsOneLine(t *testing.T) {
	for _, name := range []string{"a\nb\x1b[2J", strings.Repeat("z", 120000), "\xff\xfe"} {
		_, err := Canonical(name)
		if err == nil {
			t.Fatalf("Canonical(%q) accepted", short(name))
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r\x1b") || len(msg) > 400 {
			t.Errorf("error for %q is %d bytes with control characters %v: %q", short(name), len(msg), strings.ContainsAny(msg, "\n\r\x1b"), short(msg))
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"Zoë Smith", "Zoë Smith"},
		{"", `""`},
		{`"alice"`, `"\"alice\""`},
		{"ali\nce", `"ali\nce"`},
		{"\x1b[31mroot", `"\x1b[31mroot"`},
		{"ali\u202ece", `"ali\u202ece"`},
		{"ali\xffce", `"ali\xffce"`},
		{" alice", `" alice"`},
		{"Zoe\u0308", "\"Zoe\u0308\""}, // decomposed is not canonical: quoted, though it looks the same
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzCanonical: whatever the input, an accepted name is canonical (Check
// accepts it and Canonical returns it unchanged), within the limits, and
// Quote never lets a control character through.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"alice", "Zoe\u0308", "a\nb", "\u202e", " a", "EXAMPLE\\bob", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range Quote(in) {
			if r < ' ' || r == 0x7f || r == utf8.RuneError && !strings.ContainsRune(in, utf8.RuneError) {
				t.Fatalf("Quote(%q) holds %U", in, r)
			}
		}
		c, err := Canonical(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Canonical(%q): %v does not wrap ErrInvalid", in, err)
			}
			return
		}
		if err := Check(c); err != nil {
			t.Fatalf("Check(Canonical(%q) = %q) = %v", in, c, err)
		}
		if again, err := Canonical(c); err != nil || again != c {
			t.Fatalf("Canonical is not idempotent on %q: %q, %v", c, again, err)
		}
		if c != norm.NFC.String(in) || len(c) == 0 || len(c) > MaxLen || Quote(c) != c && c[0] != '"' {
			t.Fatalf("Canonical(%q) = %q", in, c)
		}
	})
}
