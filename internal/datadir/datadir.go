// Package datadir says where otpgate keeps its data when nothing else is
// configured: the SQLite database otpgate.db and, beside it, the master key
// file master.key.
//
// The directory is /var/lib/otpgate for root (the Filesystem Hierarchy
// Standard's place for a service's state) and, for other users,
// $XDG_DATA_HOME/otpgate or ~/.local/share/otpgate (the XDG Base Directory
// Specification). The environment variable OTPGATE_DB names the database
// instead; a --db flag or the config file, handled by the caller, win over
// both. Use [DBPath] and [KeyPath].
//
// [XDG Base Directory Specification]: https://specifications.freedesktop.org/basedir-spec/latest/
package datadir

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const (
	// EnvDB names the environment variable that overrides the database.
	EnvDB = "OTPGATE_DB"
	// EnvKey names the environment variable that overrides the master key
	// file: several nodes on one PostgreSQL database share one key.
	EnvKey = "OTPGATE_KEY_FILE"
	// SystemDir is root's data directory.
	SystemDir = "/var/lib/otpgate"
	// DBName and KeyName are the files in the data directory.
	DBName  = "otpgate.db"
	KeyName = "master.key"
)

// env is what the package reads from the process, so tests can replace it.
type env struct {
	uid    int
	getenv func(string) string
}

func processEnv() env { return env{uid: os.Geteuid(), getenv: os.Getenv} }

// Dir returns the default data directory for the effective user.
func Dir() (string, error) { return processEnv().dir() }

// DBPath returns $OTPGATE_DB if it is set, else otpgate.db in Dir. The value
// may also be a PostgreSQL URL; see KeyPath.
func DBPath() (string, error) { return processEnv().dbPath() }

// KeyPath returns the master key file that belongs with the database db:
// $OTPGATE_KEY_FILE when set, else master.key in db's directory, or in Dir
// when db is a postgres:// or postgresql:// URL.
func KeyPath(db string) (string, error) { return processEnv().keyPath(db) }

func (e env) dir() (string, error) {
	if e.uid == 0 {
		return SystemDir, nil
	}
	// The XDG spec: a relative $XDG_DATA_HOME is invalid and ignored.
	if x := e.getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "otpgate"), nil
	}
	home := e.getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("datadir: neither XDG_DATA_HOME nor HOME is an absolute path; set OTPGATE_DB or pass --db")
	}
	return filepath.Join(home, ".local", "share", "otpgate"), nil
}

func (e env) dbPath() (string, error) {
	if db := e.getenv(EnvDB); db != "" {
		return db, nil
	}
	dir, err := e.dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, DBName), nil
}

func (e env) keyPath(db string) (string, error) {
	if k := e.getenv(EnvKey); k != "" {
		if !filepath.IsAbs(k) {
			return "", fmt.Errorf("datadir: %s=%q is not an absolute path", EnvKey, k)
		}
		return k, nil
	}
	if IsURL(db) {
		dir, err := e.dir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, KeyName), nil
	}
	return filepath.Join(filepath.Dir(db), KeyName), nil
}

// IsURL reports whether db names a PostgreSQL database rather than a file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Redact returns db fit for a log line or an error: a URL without its
// password; a file path as it is.
func Redact(db string) string {
	if !IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}
