// Package pgstore is otpgate's shared store: a [store.Store] in PostgreSQL,
// through pgx and its connection pool, for several otpgate nodes on one
// database. Use [Open] with a postgres:// URL; [IsURL] tells such a URL from
// a SQLite path.
//
//	st, err := pgstore.Open(ctx, "postgres://otpgate:secret@db.example.com/otpgate?sslmode=verify-full")
//
// The URL takes every parameter of libpq's connection URIs that pgx knows
// ([Connection URIs]), plus pgxpool's pool_max_conns (default 10 here), and
// any server setting, which each connection sets at start-up: a
// statement_timeout (default 5s) bounds every statement, so that a stuck
// database fails a login instead of hanging it, and search_path selects a
// schema. Passwords may come from the URL, PGPASSWORD or ~/.pgpass; no error
// ever shows one.
//
// # Replay safety across nodes
//
// The store runs the statements of package sqlstore, in PostgreSQL's
// default isolation level, Read Committed. A success is one conditional
// UPDATE (next_counter < $2). When several nodes update the same token at
// once, PostgreSQL makes each later UPDATE wait for the earlier one to commit
// and then evaluate its WHERE clause again on the new row version ([Read
// Committed Isolation Level]): the first commit wins and every other sees
// next_counter already raised and changes nothing. Failure counting
// (UPDATE ... RETURNING) and challenge consumption (DELETE ... RETURNING) are
// single statements that rely on the same rule, so every failure from every
// node is counted, and a challenge is taken by one node only. The successes
// of concurrent logins on one node are committed as one such statement for
// the whole batch, one UPDATE joined to its input rows (batch.go).
//
// # Schema
//
// Open migrates the schema (migrations/postgres in package sqlstore) while
// holding a session-level [advisory lock], so that nodes starting together
// migrate one after the other; a database migrated by a newer otpgate is
// refused with [sqlstore.ErrSchemaNewer].
//
// # Outages
//
// Every method returns an error while the database is unreachable, naming
// its host and port: a login fails closed. The pool replaces broken
// connections by itself (a connection idle for over a second is pinged
// before use), so the store works again once the database returns, without
// a restart.
//
// [Connection URIs]: https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS
// [Read Committed Isolation Level]: https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
// [advisory lock]: https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
package pgstore

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"otpgate.dev/otpgate/internal/store"
)

// Defaults that the URL may override.
const (
	defaultMaxConns         = 10   // pool_max_conns: enough for a small server's bursts; 3 nodes use 30 of PostgreSQL's 100
	defaultStatementTimeout = "5s" // statement_timeout, set by each connection at start-up
	defaultConnectTimeout   = 5 * time.Second
)

// Store is a store.Store in a PostgreSQL database. Its methods are safe for
// concurrent use, also by other processes and nodes on the same database.
// Close it to close its connections.
type Store struct {
	pool  *pgxpool.Pool
	batch *batcher // CommitSuccess's group commit
	addr  string   // host:port (or a list of them), for errors
	hide  []string // forms of the password, redacted from every error
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether s is a PostgreSQL connection URL rather than a file
// path: it starts with postgres:// or postgresql://.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at rawURL, a postgres:// or postgresql://
// URL, and migrates it to the schema this binary knows. It fails when the
// database cannot be reached.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, s, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, cfg); err != nil {
		return nil, s.fail("open", err)
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, s.fail("open", err)
	}
	s.batch = newBatcher(s)
	return s, nil
}

// parse checks rawURL and returns the pool's configuration with the
// defaults set, and a Store that knows what to redact.
func parse(rawURL string) (*pgxpool.Config, *Store, error) {
	if !IsURL(rawURL) {
		return nil, nil, errors.New("pgstore: open: the database must be a postgres:// or postgresql:// URL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's errors quote the URL, password and all.
		return nil, nil, errors.New("pgstore: open: malformed database URL; want postgres://user:password@host:port/dbname " +
			"with special characters in the password percent-encoded")
	}
	s := &Store{}
	if pw, ok := u.User.Password(); ok {
		s.hide = append(s.hide, pw, url.QueryEscape(pw), url.PathEscape(pw), u.User.String())
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, s.fail("open: invalid database URL", err)
	}
	if cfg.ConnConfig.Password != "" {
		s.hide = append(s.hide, cfg.ConnConfig.Password)
	}
	s.addr = addrs(cfg)
	if !u.Query().Has("pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = defaultStatementTimeout
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, s, nil
}

// addrs lists the hosts a connection may go to, as host:port.
func addrs(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	list := []string{hostPort(c.Host, c.Port)}
	for _, f := range c.Fallbacks {
		if a := hostPort(f.Host, f.Port); !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return strings.Join(list, ",")
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") { // a Unix socket directory
		return host + "/.s.PGSQL." + strconv.Itoa(int(port))
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// Close closes every connection, waiting for those in use to be released.
// Operations after Close fail; closing again does nothing.
func (s *Store) Close() error {
	s.batch.close()
	s.pool.Close()
	return nil
}
