package engine

import (
	"crypto/subtle"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
)

// checkHOTP checks an HOTP code, preceded by prefix for a prefixed token.
//
// The identifier is not secret (the token types it in the clear); it says
// which token the code is for, so a code with another identifier does not
// fit the token and counts no failure on it. It is still compared in
// constant time, and the code after it is checked over the whole window
// whatever the identifier, so that the time taken depends on neither.
func (e *Engine) checkHOTP(t *store.Token, prefix, code string) (attempt, error) {
	if len(code) != len(prefix)+t.Params.Digits || !digitsOnly(code[len(prefix):]) {
		return attempt{}, nil
	}
	key, err := e.openSecret(t)
	if err != nil {
		return attempt{}, err
	}
	defer clear(key)
	same := subtle.ConstantTimeCompare([]byte(code[:len(prefix)]), []byte(prefix)) == 1
	n, w := nextOf(t), uint64(e.pol.HOTPWindow)
	c, a := search(key, code[len(prefix):], n-min(n, w), n+w-1, n, t.Params)
	switch {
	case !same:
		return attempt{}, nil
	case a.match:
		return matched(int64(c)+1, t.Drift, fmt.Sprintf("hotp counter %d", c)), nil
	}
	return a, nil
}
