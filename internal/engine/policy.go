package engine

import (
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Policy is the verification policy. Start from [DefaultPolicy]: the zero
// value is not valid (an HOTP window of 0 accepts nothing), and 0 means
// something for MaxFailures and LockFor.
type Policy struct {
	// HOTPWindow is how many codes after the last accepted one an HOTP token
	// may send: counters Next to Next+HOTPWindow-1. The seed's moving
	// window, default 10.
	HOTPWindow int
	// TOTPBack and TOTPForward are the time steps accepted before and after
	// the current one (plus the token's measured drift); RFC 6238 section
	// 5.2 recommends 1 and 1. A step at or below the last accepted one is
	// refused whatever the window.
	TOTPBack, TOTPForward int
	// MaxFailures is the consecutive failure that locks a token: with the
	// default 5, the 5th failure in a row locks it, and a right code is
	// accepted after at most 4. 0 locks at the first failure, as 1 does.
	MaxFailures int
	// LockFor is how long a lock lasts; 0 locks until an admin unlocks.
	// Default 15 minutes.
	LockFor time.Duration
	// ResyncWindow is how far [Engine.Resync] searches: HOTP counters after
	// Next, or TOTP steps on each side of now. Default 1000.
	ResyncWindow int
}

// DefaultPolicy returns the defaults documented on [Policy].
func DefaultPolicy() Policy {
	return Policy{
		HOTPWindow:   10,
		TOTPBack:     1,
		TOTPForward:  1,
		MaxFailures:  5,
		LockFor:      15 * time.Minute,
		ResyncWindow: 1000,
	}
}

// Limits on windows: each counter in a window costs an HMAC per attempt.
const (
	MaxHOTPWindow   = 1000
	MaxTOTPWindow   = 100
	MaxResyncWindow = 100000
)

// Validate reports whether p can be used.
func (p Policy) Validate() error {
	var errs []error
	check := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("engine: policy: %s is %d (accepted: %d to %d)", name, v, lo, hi))
		}
	}
	check("HOTP window", p.HOTPWindow, 1, MaxHOTPWindow)
	check("TOTP back window", p.TOTPBack, 0, MaxTOTPWindow)
	check("TOTP forward window", p.TOTPForward, 0, MaxTOTPWindow)
	check("resync window", p.ResyncWindow, 1, MaxResyncWindow)
	if p.MaxFailures < 0 {
		errs = append(errs, fmt.Errorf("engine: policy: max failures is %d (accepted: 0 or more)", p.MaxFailures))
	}
	if p.LockFor < 0 {
		errs = append(errs, fmt.Errorf("engine: policy: lock duration is %v (accepted: 0, until unlocked, or more)", p.LockFor))
	}
	return errors.Join(errs...)
}

// lockAt is the failure count at which a token is locked.
func (p Policy) lockAt() int { return max(p.MaxFailures, 1) }

// lockUntil returns when a token that fails now too often unlocks.
func (p Policy) lockUntil(now time.Time) time.Time {
	if p.LockFor == 0 {
		return store.Forever
	}
	return now.Add(p.LockFor)
}
