// Package admin is the logic behind otpgate's token-server admin commands
// (enroll, list, show, delete, enable, disable, unlock, resync, verify, test):
// it opens the store and the master key that belong together, selects a
// user's tokens, and calls packages enroll and engine, recording every change
// in the audit trail. Output types carry no secret except [Enrolled], which
// exists to show a new token's secret once.
//
// Use [Open] (or [OpenForEnroll], which may create the database and master
// key), then the methods of [Admin], and Close it.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"otpgate.dev/otpgate/internal/datadir"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/storeopen"
)

// Actor names the admin command line in the audit trail.
const Actor = "admin-cli"

// ErrNoDatabase is returned by [Open] when the database file does not exist:
// only enrolling creates one.
var ErrNoDatabase = errors.New("admin: no database")

// ErrNoUser is returned for a user the store does not know.
var ErrNoUser = errors.New("admin: no such user")

// Admin runs admin operations on one store. It is not meant for concurrent
// use by several goroutines, though the store itself would allow it.
type Admin struct {
	st  store.Store
	box *secretbox.Box
	eng *engine.Engine
	now func() time.Time
}

// Location names a store, its master key and the policy its logins are
// checked under: what otpgate serve's configuration file says, so that an
// admin command acts on the daemon's store exactly as the daemon would.
type Location struct {
	DB      string         // a SQLite file or a postgres:// URL
	KeyFile string         // the master key file; "" is datadir.KeyPath(DB)
	Policy  *engine.Policy // nil is engine.DefaultPolicy()
}

// KeyPath returns the master key file of l.
func (l Location) KeyPath() (string, error) {
	if l.KeyFile != "" {
		return l.KeyFile, nil
	}
	p, err := datadir.KeyPath(l.DB)
	if err != nil {
		return "", fmt.Errorf("admin: %w", err)
	}
	return p, nil
}

// EnginePolicy returns the policy of l, or the engine's default.
func (l Location) EnginePolicy() engine.Policy {
	if l.Policy != nil {
		return *l.Policy
	}
	return engine.DefaultPolicy()
}

// exists refuses a database file that does not exist.
func (l Location) exists() error {
	if err := checkPath(l.DB); err != nil {
		return err
	}
	if _, err := os.Stat(l.DB); !datadir.IsURL(l.DB) && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w at %q", ErrNoDatabase, l.DB)
	}
	return nil
}

// Open opens the existing database and master key of l, refusing to create
// either. now is the clock.
func Open(ctx context.Context, l Location, now func() time.Time) (*Admin, error) {
	if err := l.exists(); err != nil {
		return nil, err
	}
	keyPath, err := l.KeyPath()
	if err != nil {
		return nil, err
	}
	box, err := secretbox.Load(keyPath)
	if err != nil {
		return nil, fmt.Errorf("admin: master key of %q: %w", datadir.Redact(l.DB), err)
	}
	return open(ctx, l, box, now)
}

// OpenForEnroll opens db like Open, but creates the database and its master
// key file when they do not exist yet. It never creates a key for a database
// that already holds tokens: their secrets would not open under it.
func OpenForEnroll(ctx context.Context, l Location, now func() time.Time) (*Admin, error) {
	if err := checkPath(l.DB); err != nil {
		return nil, err
	}
	db := l.DB
	keyPath, err := l.KeyPath()
	if err != nil {
		return nil, err
	}
	box, err := secretbox.Load(keyPath)
	if err == nil {
		return open(ctx, l, box, now)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin: master key of %q: %w", datadir.Redact(db), err)
	}
	if has, err := hasTokens(ctx, db); err != nil || has {
		if err == nil {
			err = fmt.Errorf("admin: master key file %q is missing but database %q holds tokens sealed under it", keyPath, datadir.Redact(db))
		}
		return nil, err
	}
	box, err = secretbox.LoadOrCreate(keyPath)
	if err != nil {
		return nil, fmt.Errorf("admin: master key of %q: %w", datadir.Redact(db), err)
	}
	return open(ctx, l, box, now)
}

func checkPath(db string) error {
	if db == "" {
		return errors.New("admin: empty database path")
	}
	return nil
}

// hasTokens reports whether the database file db exists and holds a token.
func hasTokens(ctx context.Context, db string) (bool, error) {
	if _, err := os.Stat(db); !datadir.IsURL(db) && errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		return false, fmt.Errorf("admin: %w", err)
	}
	defer st.Close()
	errFound := errors.New("found")
	err = st.ForEachToken(ctx, func(store.Token) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("admin: %w", err)
	}
	return false, nil
}

func open(ctx context.Context, l Location, box *secretbox.Box, now func() time.Time) (*Admin, error) {
	st, err := storeopen.Open(ctx, l.DB)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	eng := engine.New(st, box, l.EnginePolicy(), now)
	return &Admin{st: st, box: box, eng: eng, now: now}, nil
}

// Close releases the store.
func (a *Admin) Close() error { return a.st.Close() }

// tokens returns the tokens an operation applies to: the token tokenID when
// it is given (owned by user, if user is given too), else every token of user.
func (a *Admin) tokens(ctx context.Context, user, tokenID string) ([]store.Token, error) {
	if tokenID != "" {
		t, err := a.st.Token(ctx, tokenID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && user != "" && t.User != user) {
			return nil, fmt.Errorf("admin: no token %q%s", tokenID, ofUser(user))
		}
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		return []store.Token{t}, nil
	}
	if _, err := a.user(ctx, user); err != nil {
		return nil, err
	}
	ts, err := a.st.Tokens(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("admin: tokens of user %q: %w", user, err)
	}
	return ts, nil
}

func ofUser(user string) string {
	if user == "" {
		return ""
	}
	return fmt.Sprintf(" of user %q", user)
}

func (a *Admin) user(ctx context.Context, name string) (store.User, error) {
	u, err := a.st.User(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("%w %q", ErrNoUser, name)
	}
	if err != nil {
		return u, fmt.Errorf("admin: user %q: %w", name, err)
	}
	return u, nil
}

// audit records an admin change made outside the engine.
func (a *Admin) audit(ctx context.Context, action, user, tokenID string) error {
	err := a.st.AppendAudit(ctx, store.AuditEvent{
		Time: a.now(), Actor: Actor, Action: action, User: user, TokenID: tokenID, Result: "ok",
	})
	if err != nil {
		return fmt.Errorf("admin: audit %s of user %q: %w", action, user, err)
	}
	return nil
}
