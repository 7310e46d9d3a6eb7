package config

import (
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
)

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

// ClientLimit returns the limit of one client's failed logins p asks for:
// the login service's default, with each key that is present in its place.
func (p Policy) ClientLimit() store.LoginLimit {
	l := auth.DefaultClientLimit
	if p.ClientMaxFailures != nil {
		l.MaxFailures = *p.ClientMaxFailures
	}
	if p.ClientRemember != nil {
		l.Remember = p.ClientRemember.Duration
	}
	if p.ClientLockFor != nil {
		l.LockFor = p.ClientLockFor.Duration
	}
	return l
}
