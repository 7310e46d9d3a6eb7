package main

import (
	"context"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/datadir"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/storeopen"
)

// serviceConfig names what the login service runs on.
type serviceConfig struct {
	db      string // store path; "" is the default data directory's
	primary string // "none" (default), "htpasswd:/path" or "pam:service"
	auth    auth.Config
}

// openService opens the store and master key and returns the login service
// and a function that closes them.
func openService(ctx context.Context, c serviceConfig, now func() time.Time) (auth.Service, func() error, error) {
	db := c.db
	if db == "" {
		var err error
		if db, err = datadir.DBPath(); err != nil {
			return nil, nil, err
		}
	}
	chk, err := primary.Parse(c.primary)
	if err != nil {
		return nil, nil, err
	}
	keyPath, err := datadir.KeyPath(db)
	if err != nil {
		return nil, nil, err
	}
	box, err := secretbox.Load(keyPath)
	if err != nil {
		return nil, nil, withHint(err, "enroll a user first (otpgate enroll USER --db %s), which creates the master key", db)
	}
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	c.auth.Primary = chk
	eng := engine.New(st, box, engine.DefaultPolicy(), now)
	return auth.New(c.auth, eng, st, now), st.Close, nil
}
