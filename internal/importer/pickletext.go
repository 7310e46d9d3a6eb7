package importer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The text arguments of protocol 0, which Python writes with its own
// escapes: UNICODE with the raw-unicode-escape codec, and STRING (Python 2's
// str) as a quoted literal.

// decodeRawUnicodeEscape decodes the argument of UNICODE: Latin-1 bytes with
// \uXXXX and \UXXXXXXXX escapes (Python's raw-unicode-escape codec).
func decodeRawUnicodeEscape(b []byte) (string, bool) {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 == len(b) || b[i+1] != 'u' && b[i+1] != 'U' {
			sb.WriteRune(rune(c))
			continue
		}
		n := 4
		if b[i+1] == 'U' {
			n = 8
		}
		if i+2+n > len(b) {
			return "", false
		}
		v, err := strconv.ParseUint(string(b[i+2:i+2+n]), 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			return "", false
		}
		sb.WriteRune(rune(v))
		i += 1 + n
	}
	return sb.String(), true
}

// decodeStringLiteral decodes the argument of STRING: a quoted Python 2 str
// with the escapes of Python's codecs.escape_decode. The bytes must be UTF-8.
func decodeStringLiteral(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != b[len(b)-1] || b[0] != '\'' && b[0] != '"' {
		return "", false
	}
	b = b[1 : len(b)-1]
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out = append(out, b[i])
			continue
		}
		if i++; i == len(b) {
			return "", false
		}
		c, n, ok := unescape(b[i:])
		if !ok {
			return "", false
		}
		out = append(out, c...)
		i += n - 1
	}
	return string(out), utf8.Valid(out)
}

// unescape decodes the escape after a backslash at the start of b, returning
// the bytes it stands for and how many bytes of b it used.
func unescape(b []byte) ([]byte, int, bool) {
	if i := strings.IndexByte("abfnrtv", b[0]); i >= 0 {
		return []byte{"\a\b\f\n\r\t\v"[i]}, 1, true
	}
	switch c := b[0]; {
	case c == '\n':
		return nil, 1, true
	case c == '\\' || c == '\'' || c == '"':
		return []byte{c}, 1, true
	case c == 'x':
		if len(b) < 3 {
			return nil, 0, false
		}
		v, err := strconv.ParseUint(string(b[1:3]), 16, 8)
		return []byte{byte(v)}, 3, err == nil
	case c >= '0' && c <= '7':
		n := 1
		for n < 3 && n < len(b) && b[n] >= '0' && b[n] <= '7' {
			n++
		}
		v, err := strconv.ParseUint(string(b[:n]), 8, 8)
		return []byte{byte(v)}, n, err == nil
	}
	return []byte{'\\', b[0]}, 1, true
}
