package main

import (
	"context"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/daemon"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/loginpolicy"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// serviceConfig names what the login service runs on.
type serviceConfig struct {
	store storeFlags // db "" is the configuration's or the data directory's
	// primary is "none" (default), "htpasswd:/path", "pam:service" or
	// "ldap" (the configuration file's [ldap]).
	primary string
	auth    auth.Config
	// oneShot opens the store for one login (site.Site.OpenOneShot).
	oneShot bool
}

// openService opens the existing site, and its directory when the
// configuration has an [ldap] table, and returns the login service and a
// function that closes them.
func openService(ctx context.Context, e *env, c serviceConfig) (*auth.Service, func() error, error) {
	s, h, err := c.openSite(e)
	if err != nil {
		return nil, nil, err
	}
	dir, err := daemon.OpenDirectory(s.Config)
	if err == nil {
		c.auth.Primary, err = daemon.Primary(c.primary, dir)
	}
	closeAll := func() error {
		if dir != nil {
			dir.Close()
		}
		return h.Close()
	}
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	groups := loginpolicy.Local(h.Store)
	if dir != nil {
		c.auth.Directory = auth.Users(dir)
		groups = loginpolicy.WithDirectory(groups, dir)
	}
	lp, err := loginpolicy.Build(s.Config.Policy, groups, e.now)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	c.auth.Policy, c.auth.Forward = lp.Policy, lp.Forward
	c.auth.ClientLimit = s.Config.Policy.ClientLimit()
	if c.auth.OOB, err = openOOB(e, s, h); err != nil {
		closeAll()
		return nil, nil, err
	}
	eng := engine.New(h.Store, h.Box, s.Policy(), e.now)
	return auth.New(c.auth, eng, h.Store, e.now), closeAll, nil
}

// openOOB returns the out-of-band service of the site's [oob], or nil when
// it names no gateway: the OpenVPN hooks send codes as otpgate serve does.
func openOOB(e *env, s *site.Site, h *site.Handle) (auth.OutOfBand, error) {
	set := s.Config.OOB.Settings(s.Policy())
	codes, ok := h.Store.(store.OOBStore)
	if set.SMTP == nil && set.HTTP == nil || !ok {
		return nil, nil
	}
	return oob.New(oob.Join(h.Store, codes), h.Box, set, e.now)
}

func (c serviceConfig) openSite(e *env) (*site.Site, *site.Handle, error) {
	if !c.oneShot {
		return c.store.open(e, site.MustExist)
	}
	s, err := c.store.find(e)
	if err != nil {
		return nil, nil, err
	}
	h, err := s.OpenOneShot(context.Background())
	if err != nil {
		return nil, nil, siteHint(err)
	}
	return s, h, nil
}
