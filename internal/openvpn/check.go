package openvpn

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"otpgate.dev/otpgate/internal/username"
)

// Errors for client input that is refused before the login service sees it.
var (
	ErrNoCredentials = errors.New("openvpn: no credentials")
	ErrMalformed     = errors.New("openvpn: malformed input")
)

// CheckUsername accepts the names package username accepts. OpenVPN itself
// lets any printable byte through (it only maps control characters to
// '_'), so a username may hold '/', spaces, quotes or "$(...)": it is never
// used as a path or a shell word, only passed on. Invisible and format
// characters, which OpenVPN passes too, are refused.
func CheckUsername(u string) error {
	_, err := canonicalUser(u)
	return err
}

// canonicalUser returns u in the form the login service stores and
// compares names in (username.Canonical).
func canonicalUser(u string) (string, error) {
	c, err := username.Canonical(u)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return c, nil
}

// checkPassword accepts up to MaxPassword bytes without NUL, CR or LF, which
// no line-based consumer (PAM conversation, file, management line) can carry.
func checkPassword(p string) error {
	if len(p) > MaxPassword {
		return fmt.Errorf("%w: password is %d bytes long (at most %d)", ErrMalformed, len(p), MaxPassword)
	}
	for i := 0; i < len(p); i++ {
		if p[i] == 0 || p[i] == '\n' || p[i] == '\r' {
			return fmt.Errorf("%w: password holds a NUL or line break", ErrMalformed)
		}
	}
	return nil
}

// CheckCode accepts a one-time code or challenge response: 1 to MaxCode
// printable ASCII characters without spaces. The login service judges its
// form (digits, modhex); this only keeps junk out.
func CheckCode(c string) error {
	if c == "" {
		return fmt.Errorf("%w: empty response", ErrMalformed)
	}
	if len(c) > MaxCode {
		return fmt.Errorf("%w: response is %d bytes long (at most %d)", ErrMalformed, len(c), MaxCode)
	}
	for i := 0; i < len(c); i++ {
		if c[i] <= ' ' || c[i] > '~' {
			return fmt.Errorf("%w: response holds a character other than printable ASCII", ErrMalformed)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// logUser returns u shortened for a log line; the log handler quotes it.
func logUser(u string) string {
	const max = 64
	if len(u) <= max {
		return u
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(u[cut]) {
		cut--
	}
	return u[:cut] + fmt.Sprintf("...(%d bytes)", len(u))
}
