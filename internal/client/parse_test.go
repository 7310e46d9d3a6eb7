package client

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1111111109", 1111111109, true},
		{"@1111111109", 1111111109, true},
		{"0", 0, true},
		{"-1", -1, true},
		{"2005-03-18T01:58:29Z", 1111111109, true},
		{"2005-03-18T02:58:29+01:00", 1111111109, true},
		{"yesterday", 0, false},
		{"2005-03-18", 0, false},
		{"@", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if tt.ok != (err == nil) || tt.ok && got.Unix() != tt.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseTime: whatever it accepts is a time that prints back to the
// same instant, and a refusal is a usage error quoting the input.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1700000000", "@0", "2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5+02:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			if ue, ok := err.(*UsageError); !ok || !strings.Contains(ue.Msg, "--time") {
				t.Fatalf("ParseTime(%q) error %v is not a usage error about --time", s, err)
			}
			return
		}
		if back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano)); err != nil || !back.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, which does not survive formatting: %v", s, got, err)
		}
	})
}

// FuzzParseHexKey: the key is the hex between white space, and a refusal
// never quotes the file.
func FuzzParseHexKey(f *testing.F) {
	f.Add([]byte("000102030405060708090a0b0c0d0e0f\n"))
	f.Add([]byte(" 0A0b \r\n"))
	f.Add([]byte("not hex at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		key, err := ParseHexKey(data)
		want, werr := hex.DecodeString(strings.TrimSpace(string(in)))
		switch {
		case werr == nil && len(want) > 0 && (err != nil || !bytes.Equal(key, want)):
			t.Fatalf("ParseHexKey(%q) = %x, %v; want %x", in, key, err, want)
		case (werr != nil || len(want) == 0) && err == nil:
			t.Fatalf("ParseHexKey(%q) = %x; want a refusal", in, key)
		case err != nil && len(in) >= 4 && strings.Contains(err.Error(), string(in)):
			t.Fatalf("ParseHexKey error %q quotes the file", err)
		}
	})
}
