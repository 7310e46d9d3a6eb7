package main

import (
	"context"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/datadir"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/storeopen"
)

// serviceConfig names what the login service runs on.
type serviceConfig struct {
	store   storeFlags // db "" is the configuration's or the data directory's
	primary string     // "none" (default), "htpasswd:/path" or "pam:service"
	auth    auth.Config
}

// openService opens the store and master key and returns the login service
// and a function that closes them.
func openService(ctx context.Context, e *env, c serviceConfig) (auth.Service, func() error, error) {
	loc, err := c.store.location(e)
	if err != nil {
		return nil, nil, err
	}
	chk, err := primary.Parse(c.primary)
	if err != nil {
		return nil, nil, err
	}
	keyPath, err := loc.KeyPath()
	if err != nil {
		return nil, nil, err
	}
	box, err := secretbox.Load(keyPath)
	if err != nil {
		return nil, nil, withHint(err, "enroll a user first (otpgate enroll USER --db %s), which creates the master key", datadir.Redact(loc.DB))
	}
	st, err := storeopen.Open(ctx, loc.DB)
	if err != nil {
		return nil, nil, err
	}
	c.auth.Primary = chk
	eng := engine.New(st, box, loc.EnginePolicy(), e.now)
	return auth.New(c.auth, eng, st, e.now), st.Close, nil
}
