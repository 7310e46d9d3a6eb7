package config

import "otpgate.dev/otpgate/internal/engine"

// Engine returns the engine policy p asks for: the engine's defaults, with
// each key that is present in its place.
func (p Policy) Engine() engine.Policy {
	e := engine.DefaultPolicy()
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.HOTPWindow, p.HOTPWindow)
	set(&e.TOTPBack, p.TOTPBack)
	set(&e.TOTPForward, p.TOTPForward)
	set(&e.MaxFailures, p.MaxFailures)
	set(&e.ResyncWindow, p.ResyncWindow)
	if p.LockFor != nil {
		e.LockFor = p.LockFor.Duration
	}
	return e
}
