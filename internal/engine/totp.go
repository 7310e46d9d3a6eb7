package engine

import (
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// checkTOTP checks a TOTP code within the policy's window around the
// token's step at now (the clock's step plus the token's drift).
func (e *Engine) checkTOTP(t *store.Token, code string, now time.Time) (attempt, error) {
	if len(code) != t.Params.Digits || !digitsOnly(code) {
		return attempt{}, nil
	}
	key, err := e.openSecret(t)
	if err != nil {
		return attempt{}, err
	}
	defer clear(key)
	center := tokenStep(t, now)
	lo, hi := otp.Window(center, uint64(e.pol.TOTPBack), uint64(e.pol.TOTPForward))
	s, a := search(key, code, lo, hi, nextOf(t), t.Params)
	if a.match {
		a = matched(int64(s)+1, t.Drift, fmt.Sprintf("totp step %d (%+d from the token's current step)", s, int64(s)-int64(center)))
	}
	return a, nil
}

// tokenStep returns the step t shows at now: the clock's step plus the drift
// measured by resync, never below 0.
func tokenStep(t *store.Token, now time.Time) uint64 {
	return offset(t.Params.Step(now), t.Drift)
}

// offset returns s+d, clamped to 0.
func offset(s uint64, d int64) uint64 {
	if d < 0 && uint64(-d) > s {
		return 0
	}
	return uint64(int64(s) + d)
}
