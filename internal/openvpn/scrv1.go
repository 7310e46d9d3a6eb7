package openvpn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseSCRV1 splits the password a client sends for a static challenge
// (client option static-challenge, OpenVPN 2.6 misc.c):
// "SCRV1:" base64(password) ":" base64(response). Either part may be empty;
// the caller decides whether that is acceptable. The decoded password is
// checked like any password, the response is not (see [CheckCode]).
func ParseSCRV1(s string) (password, response string, err error) {
	rest, ok := strings.CutPrefix(s, PrefixSCRV1)
	if !ok {
		return "", "", fmt.Errorf("%w: static-challenge password does not start with %q", ErrMalformed, PrefixSCRV1)
	}
	if len(s) > MaxPassword {
		return "", "", fmt.Errorf("%w: static-challenge password is %d bytes long (at most %d)", ErrMalformed, len(s), MaxPassword)
	}
	b64pw, b64resp, ok := strings.Cut(rest, ":")
	if !ok || strings.Contains(b64resp, ":") {
		return "", "", fmt.Errorf("%w: static-challenge password needs exactly two base64 fields after %q", ErrMalformed, PrefixSCRV1)
	}
	if password, err = decodeBase64(b64pw); err != nil {
		return "", "", fmt.Errorf("%w: static-challenge password field: %v", ErrMalformed, err)
	}
	if response, err = decodeBase64(b64resp); err != nil {
		return "", "", fmt.Errorf("%w: static-challenge response field: %v", ErrMalformed, err)
	}
	if err := checkPassword(password); err != nil {
		return "", "", err
	}
	return password, response, nil
}

// FormatSCRV1 builds the static-challenge password, as an OpenVPN client
// (or a management client answering "SC:") does.
func FormatSCRV1(password, response string) string {
	enc := base64.StdEncoding
	return PrefixSCRV1 + enc.EncodeToString([]byte(password)) + ":" + enc.EncodeToString([]byte(response))
}

// decodeBase64 accepts the standard alphabet, padded as OpenVPN writes it or
// unpadded as some clients do, and nothing else: Go's decoder would skip
// line breaks.
func decodeBase64(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n") {
		return "", errors.New("not base64: line break")
	}
	enc := base64.StdEncoding.Strict()
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding.Strict()
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("not base64 (standard alphabet): %v", err)
	}
	return string(b), nil
}
