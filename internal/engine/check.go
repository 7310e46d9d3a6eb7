package engine

import (
	"fmt"
	"math"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// attempt is what checking a code against one token found.
type attempt struct {
	tok     *store.Token
	fits    bool         // the code has the token's form; only then is the token tried
	match   bool         // the code is valid: commit next and drift
	next    int64        // the token's Next after this success
	drift   int64        // the token's Drift after this success
	outcome store.Result // audit result when refused: fail, replay, locked
	reason  string       // audit reason
}

// check tries code against t at now. A locked token is checked like any
// other, so that it takes the same time, and then refused.
func (e *Engine) check(t *store.Token, code string, now time.Time) (attempt, error) {
	if err := validParams(t); err != nil {
		return attempt{}, err
	}
	var (
		a   attempt
		err error
	)
	switch t.Type {
	case store.HOTP:
		a, err = e.checkHOTP(t, "", code)
	case store.HOTPPrefixed:
		a, err = e.checkHOTP(t, t.Identifier, code)
	case store.TOTP:
		a, err = e.checkTOTP(t, code, now)
	case store.Yubico:
		a, err = e.checkYubico(t, code)
	case store.Email, store.SMS:
		return attempt{tok: t}, nil // package oob checks their codes, after a challenge
	default:
		return attempt{}, fmt.Errorf("engine: token %s has unknown type %q", t.ID, t.Type)
	}
	a.tok = t
	if a.fits && t.Locked(now) {
		a.match, a.outcome, a.reason = false, store.ResultLocked, ReasonLocked
	}
	return a, err
}

// validParams refuses OATH parameters that would make package otp panic or
// divide by zero: a store should never hold them.
func validParams(t *store.Token) error {
	var err error
	switch t.Type {
	case store.TOTP:
		err = t.Params.Validate()
	case store.HOTP, store.HOTPPrefixed:
		p := t.Params
		p.Period = otp.DefaultPeriod // unused by HOTP
		err = p.Validate()
	}
	if err != nil {
		return fmt.Errorf("engine: token %s: %w", t.ID, err)
	}
	return nil
}

func matched(next, drift int64, reason string) attempt {
	return attempt{fits: true, match: true, next: next, drift: drift, reason: reason}
}

func refused(outcome store.Result, reason string) attempt {
	return attempt{fits: true, outcome: outcome, reason: reason}
}

// search looks for code among counters lo to hi and accepts the highest
// match at or above floor. A match only below floor is a replay. The search
// above floor takes the same time whether or where the code matches.
func search(key []byte, code string, lo, hi, floor uint64, p otp.Params) (counter uint64, a attempt) {
	hi = min(hi, maxCounter) // so that the counter after it is an int64
	start := max(lo, floor)
	if start <= hi {
		if c, ok := otp.Verify(key, code, start, hi, p); ok {
			return c, attempt{fits: true, match: true}
		}
	}
	if lo < start {
		if _, ok := otp.Verify(key, code, lo, min(start-1, hi), p); ok {
			return 0, refused(store.ResultReplay, ReasonReplay)
		}
	}
	return 0, refused(store.ResultFail, ReasonWrongCode)
}

// digitsOnly reports whether s is all ASCII digits.
func digitsOnly(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxCounter is the highest counter the engine accepts: Next is an int64.
const maxCounter = math.MaxInt64 - 1

// nextOf returns a token's Next as a counter; a negative one, which no store
// should hold, counts as 0.
func nextOf(t *store.Token) uint64 {
	return uint64(max(t.Next, 0))
}
