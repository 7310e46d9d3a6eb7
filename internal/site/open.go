package site

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/pgstore"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// Mode says whether [Site.Open] may create what is missing.
type Mode int

const (
	// MustExist opens an existing store and master key and creates
	// nothing: every command but enroll and import, and the hooks.
	MustExist Mode = iota
	// MayCreate creates the SQLite file (and its directory) and the
	// master key when they do not exist yet: enroll, import, and serve on
	// a fresh machine. It never creates a master key for a store that
	// holds tokens: their secrets would not open under it.
	MayCreate
)

// ErrNoStore is returned by Open with MustExist when the database file
// does not exist.
var ErrNoStore = errors.New("site: no database")

// ErrNoKey is returned by Open with MustExist when the master key file
// does not exist.
var ErrNoKey = errors.New("site: no master key file")

// Handle is an opened site. Close it to close the store.
type Handle struct {
	Store store.Store
	Box   *secretbox.Box
	// Created lists what Open made, as "directory PATH", "database PATH"
	// and "master key PATH", for the caller to say.
	Created []string
}

// Close closes the store.
func (h *Handle) Close() error { return h.Store.Close() }

// Open opens the store and master key of s. The key must open a sealed
// secret of the store ([CheckKey]), so that a site whose key belongs to
// another store fails here rather than at every login.
func (s *Site) Open(ctx context.Context, m Mode) (*Handle, error) {
	return s.open(ctx, m, false, sqlite.Options{})
}

// OpenOneShot is Open with MustExist for a process that does one login and
// exits (an OpenVPN script hook): a SQLite store is opened with
// sqlite.Options.OneShot.
func (s *Site) OpenOneShot(ctx context.Context) (*Handle, error) {
	return s.open(ctx, MustExist, false, sqlite.Options{OneShot: true})
}

// Check opens what Open with MayCreate would, creating nothing: the store
// when it exists (migrating it as Open would), its master key, a sealed
// secret. It returns what Open would create, for the caller to say.
func (s *Site) Check(ctx context.Context) ([]string, error) {
	h, err := s.open(ctx, MayCreate, true, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	if h.Store != nil {
		err = h.Close()
	}
	return h.Created, err
}

func (s *Site) open(ctx context.Context, m Mode, dry bool, o sqlite.Options) (*Handle, error) {
	h := &Handle{}
	if err := s.checkFile(m, h); err != nil {
		return nil, err
	}
	if dry && len(h.Created) > 0 {
		return h, s.checkKeyFile(h)
	}
	st, err := openStore(ctx, s.DB, o)
	if err != nil {
		return nil, err
	}
	if h.Box, err = s.openKey(ctx, m, st, h, dry); err == nil && h.Box != nil {
		if err = CheckKey(ctx, st, h.Box); err != nil {
			err = fmt.Errorf("%w (key file %s)", err, s.KeyFile)
		}
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	h.Store = st
	return h, nil
}

// checkKeyFile checks, for a store yet to be created, that its master key
// is missing (to be created) or loads.
func (s *Site) checkKeyFile(h *Handle) error {
	_, err := secretbox.Load(s.KeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		h.Created = append(h.Created, "master key "+s.KeyFile)
		return nil
	}
	if err != nil {
		return fmt.Errorf("site: master key of %s: %w", Redact(s.DB), err)
	}
	return nil
}

// checkFile refuses a database file that is not there (MustExist), not a
// regular file, or empty: an empty file is not a store, and taking it for
// an empty one would hide a lost database. It notes what MayCreate will
// make.
func (s *Site) checkFile(m Mode, h *Handle) error {
	if IsURL(s.DB) {
		return nil
	}
	fi, err := os.Stat(s.DB)
	switch {
	case errors.Is(err, fs.ErrNotExist) && m == MustExist:
		return fmt.Errorf("%w at %s", ErrNoStore, s.DB)
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Dir(s.DB)); errors.Is(err, fs.ErrNotExist) {
			h.Created = append(h.Created, "directory "+filepath.Dir(s.DB))
		}
		h.Created = append(h.Created, "database "+s.DB)
		return nil
	case err != nil:
		return fmt.Errorf("site: database: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("site: database %s is not a regular file", s.DB)
	case fi.Size() == 0:
		return fmt.Errorf("site: database %s is empty (0 bytes), not an otpgate store; remove it to start a new store, or name the right one with --db", s.DB)
	}
	return nil
}

// OpenStore opens the store db names, without its master key and without
// Open's checks: for tests and benchmarks that seal their own tokens.
// Commands use [Site.Open]. A nil store comes only with an error, never a
// typed nil.
func OpenStore(ctx context.Context, db string) (store.Store, error) {
	return openStore(ctx, db, sqlite.Options{})
}

func openStore(ctx context.Context, db string, o sqlite.Options) (store.Store, error) {
	if IsURL(db) {
		st, err := pgstore.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := sqlite.OpenWith(ctx, db, o)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// openKey loads the master key, creating it under MayCreate when it is
// missing and st holds no token.
func (s *Site) openKey(ctx context.Context, m Mode, st store.Store, h *Handle, dry bool) (*secretbox.Box, error) {
	box, err := secretbox.Load(s.KeyFile)
	if err == nil {
		return box, nil
	}
	if m == MustExist && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s for database %s", ErrNoKey, s.KeyFile, Redact(s.DB))
	}
	if m == MustExist || !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("site: master key of %s: %w", Redact(s.DB), err)
	}
	has, err := hasTokens(ctx, st)
	if err != nil {
		return nil, err
	}
	if has {
		return nil, fmt.Errorf("site: master key file %s is missing but database %s holds tokens sealed under another key; restore the key file, or name it with key_file or $%s",
			s.KeyFile, Redact(s.DB), EnvKeyFile)
	}
	h.Created = append(h.Created, "master key "+s.KeyFile)
	if dry {
		return nil, nil
	}
	if box, err = secretbox.LoadOrCreate(s.KeyFile); err != nil {
		return nil, fmt.Errorf("site: master key of %s: %w", Redact(s.DB), err)
	}
	return box, nil
}

// TokenWalker is the slice of store.Store that CheckKey reads.
type TokenWalker interface {
	ForEachToken(ctx context.Context, fn func(store.Token) error) error
}

// errStop ends a walk at its first token.
var errStop = errors.New("site: stop")

func hasTokens(ctx context.Context, st TokenWalker) (bool, error) {
	err := st.ForEachToken(ctx, func(store.Token) error { return errStop })
	if errors.Is(err, errStop) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("site: %w", err)
	}
	return false, nil
}

// CheckKey opens the sealed secret of one token of st with box: the
// readiness of "a sealed secret opens", at the cost of one read. A store
// without tokens passes. The error wraps secretbox.ErrWrongKey when the
// secret is sealed under another key.
func CheckKey(ctx context.Context, st TokenWalker, box *secretbox.Box) error {
	var opened error
	err := st.ForEachToken(ctx, func(t store.Token) error {
		plain, err := box.Open(t.Secret, secretbox.AAD(t.ID, enroll.ColumnSecret))
		clear(plain)
		if err != nil {
			opened = fmt.Errorf("site: the master key does not open the secret of token %s: %w", t.ID, err)
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("site: %w", err)
	}
	return opened
}
