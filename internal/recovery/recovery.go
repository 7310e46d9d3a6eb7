// Package recovery makes and checks recovery codes: single-use codes a
// user keeps on paper for the day their phone or key is lost. Each is
// random (crypto/rand), shown once by [Generate], and kept only as an
// Argon2id hash (RFC 9106) in the PHC string format; [Hash] stores codes
// that come from elsewhere (google-authenticator's scratch codes).
//
// [Verify] hashes a candidate once per salt (a batch shares one, so that a
// check costs one hash, not one per code), compares it with every unused
// code of the user without stopping at a match, and spends the code it
// matched through the store's conditional write, so that two logins racing
// with one code cannot both succeed.
//
// Recovery codes are a fallback, not a factor of their own: the login
// service tries one only where a code is expected and the user's tokens
// allow it.
package recovery

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Defaults of [Generate]. Ten digits are 33 bits: online, each guess costs
// a counted failure; offline, each costs an Argon2id hash.
const (
	DefaultCount  = 10
	DefaultDigits = 10
	MaxCount      = 100
	// MinDigits and MaxDigits bound a code's length; google-authenticator's
	// scratch codes have 8 digits.
	MinDigits = 6
	MaxDigits = 20
)

// Store is what Verify needs: the user's unused codes, and a conditional
// write that marks one used only if it still is not
// ([store.RecoveryCodes]).
type Store interface {
	RecoveryCodes(ctx context.Context, user string) ([]store.RecoveryCode, error)
	UseRecoveryCode(ctx context.Context, id string, now time.Time) (bool, error)
}

// Generate makes n codes of digits digits for user: the codes to show
// once, and what to store. The codes share one salt.
func Generate(user string, n, digits int, now time.Time) ([]string, []store.RecoveryCode, error) {
	if n < 1 || n > MaxCount {
		return nil, nil, fmt.Errorf("recovery: %d codes is out of range (accepted: 1 to %d)", n, MaxCount)
	}
	if digits < MinDigits || digits > MaxDigits {
		return nil, nil, fmt.Errorf("recovery: %d digits is out of range (accepted: %d to %d)", digits, MinDigits, MaxDigits)
	}
	codes := make([]string, n)
	for i := range codes {
		codes[i] = randomDigits(digits)
	}
	stored, err := Hash(user, codes, now)
	if err != nil {
		return nil, nil, err
	}
	return codes, stored, nil
}

// randomDigits returns n decimal digits from crypto/rand, each uniform:
// octets of 250 and more are drawn again, so that 0-5 are not favoured.
func randomDigits(n int) string {
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		rand.Read(b[:]) // never fails (crypto/rand, Go 1.24)
		if b[0] < 250 {
			out = append(out, '0'+b[0]%10)
		}
	}
	return string(out)
}

// Hash returns the stored form of codes for user, under one new salt. Each
// code must be MinDigits to MaxDigits decimal digits.
func Hash(user string, codes []string, now time.Time) ([]store.RecoveryCode, error) {
	salt := make([]byte, saltLength)
	rand.Read(salt)
	out := make([]store.RecoveryCode, len(codes))
	for i, c := range codes {
		if !wellFormed(c) {
			return nil, fmt.Errorf("recovery: code #%d is not %d to %d digits", i+1, MinDigits, MaxDigits)
		}
		out[i] = store.RecoveryCode{ID: rand.Text(), User: user, Hash: DefaultParams.hash(c, salt).String(), Digits: len(c), Created: now}
	}
	return out, nil
}

// wellFormed reports whether s has the shape of a recovery code. It is a
// check of length and alphabet, so its timing says nothing about a code.
func wellFormed(s string) bool {
	if len(s) < MinDigits || len(s) > MaxDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ErrBusy is returned when ctx ends while Verify waits for a hashing slot.
var ErrBusy = errors.New("recovery: too many recovery codes being checked at once")

// Verify reports whether code is one of user's unused codes, and if so
// spends it at now. A stored hash that cannot be read is an error; the
// login must then be refused.
func Verify(ctx context.Context, st Store, user, code string, now time.Time) (bool, error) {
	if !wellFormed(code) {
		return false, nil
	}
	codes, err := st.RecoveryCodes(ctx, user)
	if err != nil {
		return false, fmt.Errorf("recovery: codes of %q: %w", user, err)
	}
	match, err := find(ctx, codes, code)
	if err != nil || match < 0 {
		return false, err
	}
	ok, err := st.UseRecoveryCode(ctx, codes[match].ID, now)
	if err != nil {
		return false, fmt.Errorf("recovery: spend a code of %q: %w", user, err)
	}
	return ok, nil
}

// find returns the index of the unused code that code matches, or -1. It
// hashes code once per distinct salt and parameters and compares it with
// every code, in constant time, without stopping early.
func find(ctx context.Context, codes []store.RecoveryCode, code string) (int, error) {
	sums := make(map[string][]byte) // by parameters and salt
	match := -1
	for i, c := range codes {
		h, err := parsePHC(c.Hash)
		if err != nil {
			return -1, fmt.Errorf("recovery: stored code %s: %w", c.ID, err)
		}
		key := h.params.String() + "$" + string(h.salt)
		sum, ok := sums[key]
		if !ok {
			if sum, err = h.params.sum(ctx, code, h.salt); err != nil {
				return -1, err
			}
			sums[key] = sum
		}
		eq := subtle.ConstantTimeCompare(sum, h.sum) & subtle.ConstantTimeEq(int32(len(code)), int32(c.Digits)) & boolInt(c.Used.IsZero())
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	return match, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
