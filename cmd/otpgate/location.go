package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/datadir"
)

// Where the store is. otpgate serve and every command that opens the store
// find it the same way, so that an admin command acts on the daemon's
// store, under its master key and its policy:
//
//   - the configuration file is --config, else $OTPGATE_CONFIG, else
//     /etc/otpgate/otpgate.toml when it exists;
//   - the database is --db, else the file's db, else $OTPGATE_DB, else the
//     data directory's;
//   - the master key is the file's key_file, else $OTPGATE_KEY_FILE, else
//     master.key beside the database;
//   - logins (verify, resync) follow the file's [policy].

// defaultConfigFile is read when it exists and no --config is given.
const defaultConfigFile = "/etc/otpgate/otpgate.toml"

// envConfig names the configuration file when there is no --config.
const envConfig = "OTPGATE_CONFIG"

// loadConfig reads the configuration file, or the defaults when there is
// none, and puts dbFlag, else $OTPGATE_DB when the file names no db, in its
// DB. The caller validates it once it has applied its own flags.
func loadConfig(e *env, configFlag, dbFlag string) (*config.Config, error) {
	path := configFlag
	if path == "" {
		path = e.getenv(envConfig)
	}
	if path == "" && e.configFile != "" {
		if _, err := os.Stat(e.configFile); err == nil {
			path = e.configFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	c := config.Default()
	if path != "" {
		var err error
		if c, err = config.Load(path); err != nil {
			return nil, err
		}
	}
	if v := e.getenv(datadir.EnvDB); v != "" && c.DB == "" {
		c.DB = v
	}
	if dbFlag != "" {
		c.DB = dbFlag
	}
	return c, nil
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

// location resolves the store, master key and policy the flags, the
// environment and the configuration file name.
func (s *storeFlags) location(e *env) (admin.Location, error) {
	c, err := loadConfig(e, s.config, s.db)
	if err != nil {
		return admin.Location{}, err
	}
	if err := c.Validate(); err != nil {
		return admin.Location{}, fmt.Errorf("config: %w", err)
	}
	db := c.DB
	if db == "" {
		if db, err = datadir.DBPath(); err != nil {
			return admin.Location{}, err
		}
	}
	p := c.Policy.Engine()
	return admin.Location{DB: db, KeyFile: c.KeyFile, Policy: &p}, nil
}
