package ykoath

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// Calculate returns the code of c at time t (CALCULATE with a truncated
// response). For TOTP the challenge is floor(unix(t) / c.Period) as 8
// big-endian bytes, using the credential's own period; for HOTP the
// challenge is empty and the card uses and advances its own counter, so
// every call gives the next code. The number of digits comes from the card.
func (s *Session) Calculate(c Credential, t time.Time) (string, error) {
	chal, err := challenge(c, t)
	if err != nil {
		return "", fmt.Errorf("ykoath: calculate %q: %w", c.ID, err)
	}
	data := AppendTLV(nil, TagName, []byte(c.ID))
	data = AppendTLV(data, TagChallenge, chal)
	resp, err := exchange(s.card, InsCalculate, 0x00, 0x01, data)
	if err != nil {
		return "", fmt.Errorf("ykoath: calculate %q: %w", c.ID, err)
	}
	code, err := parseTruncated(resp)
	if err != nil {
		return "", fmt.Errorf("ykoath: calculate %q: malformed response: %w", c.ID, err)
	}
	return code, nil
}

// challenge is the CALCULATE challenge of c at t, as ykman computes it.
func challenge(c Credential, t time.Time) ([]byte, error) {
	switch {
	case c.Type == HOTP:
		return nil, nil
	case c.Type != TOTP:
		return nil, fmt.Errorf("unknown OATH type %s (accepted: HOTP, TOTP)", c.Type)
	case c.Period < time.Second || c.Period%time.Second != 0:
		return nil, fmt.Errorf("TOTP period %v is not a whole number of seconds, at least 1", c.Period)
	case t.Unix() < 0:
		return nil, errors.New("time before 1970")
	}
	step := otp.Params{Period: c.Period}.Step(t)
	return binary.BigEndian.AppendUint64(nil, step), nil
}

// parseTruncated decodes a truncated response, TRUNCATED = digits and the
// four dynamic-truncation bytes, into a zero-padded decimal code. The top
// bit is masked again, as ykman does, in case a card left it set.
func parseTruncated(b []byte) (string, error) {
	v, err := expectTLV(b, TagTruncated)
	if err != nil {
		return "", err
	}
	if len(v) != 5 {
		return "", fmt.Errorf("truncated response of %d bytes, want 5", len(v))
	}
	digits := int(v[0])
	if digits < otp.MinDigits || digits > otp.MaxDigits {
		return "", fmt.Errorf("%d digits, want %d to %d", digits, otp.MinDigits, otp.MaxDigits)
	}
	n := uint64(binary.BigEndian.Uint32(v[1:]) & 0x7fffffff)
	return fmt.Sprintf("%0*d", digits, n%pow10(digits)), nil
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
