package main

import (
	"context"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/loginpolicy"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/site"
)

// serviceConfig names what the login service runs on.
type serviceConfig struct {
	store   storeFlags // db "" is the configuration's or the data directory's
	primary string     // "none" (default), "htpasswd:/path" or "pam:service"
	auth    auth.Config
}

// openService opens the existing site and returns the login service and a
// function that closes it.
func openService(ctx context.Context, e *env, c serviceConfig) (*auth.Service, func() error, error) {
	chk, err := primary.Parse(c.primary)
	if err != nil {
		return nil, nil, err
	}
	s, h, err := c.store.open(e, site.MustExist)
	if err != nil {
		return nil, nil, err
	}
	lp, err := loginpolicy.Build(s.Config.Policy, loginpolicy.Local(h.Store), e.now)
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	c.auth.Primary, c.auth.Policy, c.auth.Forward = chk, lp.Policy, lp.Forward
	c.auth.ClientLimit = s.Config.Policy.ClientLimit()
	eng := engine.New(h.Store, h.Box, s.Policy(), e.now)
	return auth.New(c.auth, eng, h.Store, e.now), h.Close, nil
}
