package oob

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
)

// macPurpose names the key the codes' MACs are made under; a change of
// macInput's encoding needs a new one.
const macPurpose = "oob code v1"

// NewCode returns a code of digits decimal digits, each of the 10^digits
// codes equally likely: rand.Int draws below the bound by rejection, so
// there is no modulo bias. r is crypto/rand.Reader outside tests.
func NewCode(r io.Reader, digits int) (string, error) {
	if digits < MinDigits || digits > MaxDigits {
		return "", fmt.Errorf("oob: code length %d (accepted: %d to %d)", digits, MinDigits, MaxDigits)
	}
	n, err := rand.Int(r, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil))
	if err != nil {
		return "", fmt.Errorf("oob: random code: %w", err)
	}
	return fmt.Sprintf("%0*d", digits, n), nil
}

// macInput is what a code's MAC covers: the user, the token and the
// challenge it was sent for, and the code, each length-prefixed so that no
// two inputs encode alike.
func macInput(user, tokenID, challenge, code string) []byte {
	var b []byte
	for _, s := range []string{user, tokenID, challenge, code} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// isCode reports whether s has the form of a code of digits digits.
func isCode(s string, digits int) bool {
	if len(s) != digits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
