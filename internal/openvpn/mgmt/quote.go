package mgmt

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of OpenVPN's command parser (options.h OPTION_PARM_SIZE, manage.c
// command line buffer).
const (
	MaxParam = 255
	MaxLine  = 1023
)

// ErrParam is returned for a parameter OpenVPN could not read back.
var ErrParam = errors.New("mgmt: parameter cannot be quoted")

// Quote returns s as one double-quoted parameter of a management command,
// with backslash and double quote escaped, as OpenVPN's parse_line reads
// it. It refuses control characters (a line break would end the command and
// start another) and values longer than OpenVPN accepts.
func Quote(s string) (string, error) {
	if len(s) > MaxParam {
		return "", fmt.Errorf("%w: %d bytes long (at most %d)", ErrParam, len(s), MaxParam)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f {
			return "", fmt.Errorf("%w: it holds a control character", ErrParam)
		}
		if c == '\\' || c == '"' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// command joins a command name and its already-safe words with quoted
// parameters, checking the line length.
func command(words []string, params ...string) (string, error) {
	parts := append([]string(nil), words...)
	for _, p := range params {
		q, err := Quote(p)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	line := strings.Join(parts, " ")
	if len(line) > MaxLine {
		return "", fmt.Errorf("%w: command is %d bytes long (at most %d)", ErrParam, len(line), MaxLine)
	}
	return line, nil
}
