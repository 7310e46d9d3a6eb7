package main

import (
	"context"
	"flag"
	"fmt"

	"otpgate.dev/otpgate/internal/site"
)

// Where the store is: package site finds the configuration file, the
// store and the master key the same way for serve, the admin commands and
// the hooks (its package documentation gives the precedence), so that an
// admin command acts on the daemon's store, under its master key and its
// policy.

// siteEnv is what package site reads from e.
func (e *env) siteEnv() site.Env {
	return site.Env{Getenv: e.getenv, UID: e.uid, SystemConfig: e.configFile}
}

// storeFlags are the --db and --config flags of the commands that open the
// store.
type storeFlags struct{ db, config string }

// addStoreFlags registers --db and --config on fs.
func addStoreFlags(fs *flag.FlagSet) *storeFlags {
	s := &storeFlags{}
	fs.StringVar(&s.db, "db", "", "")
	fs.StringVar(&s.config, "config", "", "")
	return s
}

// find resolves the site the flags, the environment and the configuration
// file name.
func (s *storeFlags) find(e *env) (*site.Site, error) {
	return site.Find(e.siteEnv(), site.Flags{Config: s.config, DB: s.db})
}

// open finds and opens the site, saying on stderr what it created.
func (s *storeFlags) open(e *env, m site.Mode) (*site.Site, *site.Handle, error) {
	st, err := s.find(e)
	if err != nil {
		return nil, nil, err
	}
	h, err := st.Open(context.Background(), m)
	if err != nil {
		return nil, nil, siteHint(err)
	}
	for _, c := range h.Created {
		fmt.Fprintf(e.stderr, "otpgate: created %s\n", c)
	}
	return st, h, nil
}
