// Package site finds and opens one otpgate site: the configuration file of
// otpgate serve, the store its db names (a SQLite file or a PostgreSQL
// URL) and the master key that seals the store's secrets. The admin
// commands, the OpenVPN script hooks and the daemon all open their site
// here, so that each acts on the daemon's store under the daemon's key.
//
// Use [Find] with the process's [Env] and the command's [Flags], then
// [Site.Open] with [MustExist] (every command but enroll and import, the
// hooks) or [MayCreate] (enroll, import, serve on a fresh machine).
//
// # Precedence
//
// This package is the only reader of the OTPGATE_* variables that name a
// site. Where the setting is given in several places, the first wins:
//
//   - the configuration file: --config, $OTPGATE_CONFIG, then
//     /etc/otpgate/otpgate.toml when it exists, else none (the defaults);
//   - the database: --db (or the hook's totpTokenDbPath), the file's db,
//     $OTPGATE_DB, then otpgate.db in the data directory;
//   - the master key: the file's key_file, $OTPGATE_KEY_FILE (an absolute
//     path), then master.key beside a SQLite file or, for a PostgreSQL URL,
//     in the data directory.
//
// The data directory is /var/lib/otpgate for root (the Filesystem Hierarchy
// Standard's place for a service's state) and, for other users,
// $XDG_DATA_HOME/otpgate or ~/.local/share/otpgate (the [XDG Base
// Directory Specification]).
//
// [XDG Base Directory Specification]: https://specifications.freedesktop.org/basedir-spec/latest/
package site

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/engine"
)

// The environment variables of a site.
const (
	EnvConfig  = "OTPGATE_CONFIG"
	EnvDB      = "OTPGATE_DB"
	EnvKeyFile = "OTPGATE_KEY_FILE"
	// EnvIssuer is the issuer enrollment writes in otpauth:// URIs.
	EnvIssuer = "OTPGATE_ISSUER"
	// EnvSeedIssuer is the same knob of the OpenVPN TOTP script (seed
	// 004): `env totpIssuerName="Example VPN" ... enroll alice`.
	EnvSeedIssuer = "totpIssuerName"
)

// Defaults of a site.
const (
	// SystemConfig is read when it exists and nothing names a file.
	SystemConfig = "/etc/otpgate/otpgate.toml"
	// SystemDir is root's data directory.
	SystemDir = "/var/lib/otpgate"
	// DBName and KeyName are the files in the data directory.
	DBName  = "otpgate.db"
	KeyName = "master.key"
	// DefaultIssuer is the issuer when $OTPGATE_ISSUER is unset.
	DefaultIssuer = "otpgate"
)

// Env is what a site is found with besides the command line.
type Env struct {
	Getenv func(string) string // os.Getenv
	UID    int                 // the effective user: 0 uses SystemDir
	// SystemConfig is the file read when it exists and none is named:
	// [SystemConfig], or "" for none (tests).
	SystemConfig string
}

// ProcessEnv returns the environment of this process.
func ProcessEnv() Env {
	return Env{Getenv: os.Getenv, UID: os.Geteuid(), SystemConfig: SystemConfig}
}

// Issuer returns $OTPGATE_ISSUER, else $totpIssuerName, else
// [DefaultIssuer].
func (e Env) Issuer() string {
	return cmp.Or(e.Getenv(EnvIssuer), e.Getenv(EnvSeedIssuer), DefaultIssuer)
}

// Flags are what the command line says about the site.
type Flags struct {
	Config string // --config
	DB     string // --db, or the OpenVPN hook's totpTokenDbPath
	// Apply, when set, changes the configuration before it is validated:
	// otpgate serve's --radius-listen and the like.
	Apply func(*config.Config)
}

// Site is a site found: its configuration and where its store and master
// key are. Nothing is opened yet.
type Site struct {
	Config *config.Config // validated
	File   string         // the configuration file read; "" for the defaults
	// DB is a SQLite file path or a postgres:// URL; print it with
	// [Redact].
	DB      string
	KeyFile string
}

// Find reads the configuration the flags and the environment name and
// resolves the database and master key by the package's precedence.
func Find(e Env, f Flags) (*Site, error) {
	s := &Site{}
	var err error
	if s.File, err = configFile(e, f.Config); err != nil {
		return nil, err
	}
	c := config.Default()
	if s.File != "" {
		if c, err = config.Load(s.File); err != nil {
			return nil, err
		}
	}
	if v := e.Getenv(EnvDB); v != "" && c.DB == "" {
		c.DB = v
	}
	if f.DB != "" {
		c.DB = f.DB
	}
	if f.Apply != nil {
		f.Apply(c)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	s.Config = c
	if s.DB, err = dbPath(e, c.DB); err != nil {
		return nil, err
	}
	if s.KeyFile, err = keyPath(e, c.KeyFile, s.DB); err != nil {
		return nil, err
	}
	return s, nil
}

// Policy returns the engine policy of the site's [policy].
func (s *Site) Policy() engine.Policy { return s.Config.Policy.Engine() }

func configFile(e Env, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := e.Getenv(EnvConfig); v != "" {
		return v, nil
	}
	if e.SystemConfig == "" {
		return "", nil
	}
	_, err := os.Stat(e.SystemConfig)
	switch {
	case err == nil:
		return e.SystemConfig, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	}
	return "", fmt.Errorf("config: %w", err)
}

// dir returns the data directory of the effective user.
func dir(e Env) (string, error) {
	if e.UID == 0 {
		return SystemDir, nil
	}
	// The XDG spec: a relative $XDG_DATA_HOME is invalid and ignored.
	if x := e.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "otpgate"), nil
	}
	home := e.Getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("site: neither XDG_DATA_HOME nor HOME is an absolute path; set OTPGATE_DB or pass --db")
	}
	return filepath.Join(home, ".local", "share", "otpgate"), nil
}

func dbPath(e Env, db string) (string, error) {
	if db != "" {
		return db, checkDBName(db)
	}
	d, err := dir(e)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, DBName), nil
}

func keyPath(e Env, keyFile, db string) (string, error) {
	if keyFile != "" {
		return keyFile, nil
	}
	if k := e.Getenv(EnvKeyFile); k != "" {
		if !filepath.IsAbs(k) {
			return "", fmt.Errorf("site: %s=%q is not an absolute path", EnvKeyFile, k)
		}
		return k, nil
	}
	if IsURL(db) {
		d, err := dir(e)
		if err != nil {
			return "", err
		}
		return filepath.Join(d, KeyName), nil
	}
	return filepath.Join(filepath.Dir(db), KeyName), nil
}
