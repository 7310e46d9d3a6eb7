// Package sqlite is otpgate's embedded store: a [store.Store] in one SQLite
// database file, through the pure-Go driver modernc.org/sqlite. Use [Open].
//
// The database runs in [SQLite WAL] mode with synchronous=FULL, so a write
// that returned is on disk: a committed success survives a crash, and a code
// is never accepted twice because a power cut rolled its commit back. The file
// and its -wal and -shm companions are created with mode 0600. The schema is
// migrated on Open (package sqlstore); a database written by a newer otpgate
// is refused.
//
// # Concurrency
//
// Several processes may open the same file; SQLite's locks serialize their
// writes, and every replay decision is a conditional UPDATE. Within a
// process, all writes go to one goroutine that owns the write connection and
// commits the writes that arrive together in one transaction (group commit),
// so that one fsync serves many logins. Each write still learns its own
// result, and only after its transaction committed. Reads use read-only
// connections and never wait for writes; the reads of a verification run on
// a goroutine per CPU that owns its connection (readers.go).
//
// [SQLite WAL]: https://sqlite.org/wal.html
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// walCheckpointPages is the WAL size, in pages, that triggers a checkpoint.
const walCheckpointPages = 10000

// busyTimeoutMS is how long a write waits for another process's lock.
const busyTimeoutMS = 10000

// oneShotCheckpointPages is the WAL size that triggers a checkpoint in a
// one-shot process: each one reads and checksums the whole WAL when it
// opens the database (the first connection rebuilds the WAL index), which
// at 256 pages was a tenth of a hook's time; at 32 a checkpoint comes every
// ten logins or so, and the hook is 0.88x as long (docs/benchmarks.md).
const oneShotCheckpointPages = 32

// Store is a store.Store in a SQLite file. Its methods are safe for
// concurrent use. Close it to stop the committer and release the file.
type Store struct {
	path  string
	wdb   *sql.DB  // one connection, owned by the committer
	rdb   *sql.DB  // read-only pool
	reads *reader  // on rdb: readQueries, prepared unless OneShot
	hot   *readers // the reads of a verification
	c     *committer
	once  bool // OneShot

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens the database at path, creating it (and its directory, mode
// 0700) when missing, and migrates it to the schema this binary knows.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// Options tune a store for its process.
type Options struct {
	// OneShot is for a process that opens the store for one login and
	// exits (an OpenVPN script hook): one reading connection instead of a
	// pool, opened read-only (SQLITE_OPEN_READONLY) and closed last, so
	// that Close leaves the WAL as it is rather than checkpointing it and
	// deleting it, which cost three of a login's five fsyncs; the hot reads
	// run on it from the caller's goroutine, with nothing prepared ahead;
	// a small WAL, which the next process reads whole on open; no PRAGMA
	// optimize. A success is as durable as ever: its commit is fsynced
	// before it returns. Long-running processes leave it false.
	OneShot bool
}

// OpenWith is Open for the process o describes.
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %q: a database file path is required", path)
	}
	if err := createFile(path); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	for {
		s := &Store{path: path, once: o.OneShot}
		err := s.open(ctx)
		if err == nil {
			return s, nil
		}
		s.closeDBs()
		// Processes that create a database together (a hook and the daemon
		// on a fresh machine) race for the switch to WAL, where SQLite
		// answers SQLITE_BUSY without waiting on busy_timeout: start over.
		if !isBusy(err) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (in any of its
// extended forms).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

func (s *Store) open(ctx context.Context) error {
	var err error
	if s.wdb, err = s.openDB(1, false); err != nil {
		return err
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	if err := sqlstore.Migrate(ctx, conn, sqlstore.SQLite); err != nil {
		conn.Close()
		return fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	if s.once {
		readers = 1
	}
	if s.rdb, err = s.openDB(readers, true); err != nil {
		conn.Close()
		return err
	}
	if s.once {
		// The read-only connection reads now, so that it holds the WAL
		// open until after the writer's Close, whatever the login reads.
		if err := s.rdb.QueryRowContext(ctx, "PRAGMA schema_version").Scan(new(int64)); err != nil {
			conn.Close()
			return fmt.Errorf("sqlite: open %q: %w", s.path, err)
		}
		s.reads, s.hot = &reader{pool: s.rdb}, inlineReaders(s.rdb)
		s.c = newCommitter(&writer{conn: conn, stmts: map[string]*sql.Stmt{}})
		return nil
	}
	s.reads = &reader{}
	if s.reads.stmts, err = prepare(ctx, s.rdb, readQueries); err != nil {
		conn.Close()
		return fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	if s.hot, err = s.openReaders(ctx); err != nil {
		conn.Close()
		return fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	s.c = newCommitter(&writer{conn: conn, stmts: map[string]*sql.Stmt{}})
	return nil
}

// createFile creates the database file with mode 0600 before SQLite does,
// because SQLite creates it 0644 and gives -wal and -shm the mode of the
// database file.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create directory of %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return f.Close()
}

func (s *Store) openReaders(ctx context.Context) (*readers, error) {
	n := hotReaders()
	db, err := s.openDB(n, true)
	if err != nil {
		return nil, err
	}
	return newReaders(ctx, db, n, hotQueries)
}

func (s *Store) openDB(conns int, readOnly bool) (*sql.DB, error) {
	d := dsn(s.path, readOnly)
	if s.once {
		d = oneShotDSN(d, readOnly)
	}
	db, err := sql.Open("sqlite", d)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", s.path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// dsn sets every pragma as a DSN parameter, so that each pooled connection
// gets it when the driver opens it.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// After a large transaction (a rekey of every token) the WAL shrinks
	// back to this size at the next checkpoint.
	q.Add("_pragma", "journal_size_limit(67108864)")
	// Checkpoints copy the WAL back into the database file. Fewer, larger
	// ones write a page changed by many commits once, and keep the copying
	// out of most commits.
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// What a write deletes or replaces (a deleted token's sealed
		// secret, a resealed one) is overwritten with zeros, not left
		// in free space (sqlite.org/pragma.html#pragma_secure_delete).
		q.Add("_pragma", "secure_delete(1)")
	}
	q.Set("_txlock", "immediate")
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
}

// oneShotDSN is d for a one-shot process: a small WAL, and readers opened
// read-only, which never checkpoint on close
// (sqlite.org/c3ref/close.html, sqlite.org/wal.html#readonly).
func oneShotDSN(d string, readOnly bool) string {
	d += "&" + url.Values{"_pragma": {fmt.Sprintf("wal_autocheckpoint(%d)", oneShotCheckpointPages)}}.Encode()
	if readOnly {
		d += "&mode=ro"
	}
	return d
}

func prepare(ctx context.Context, db *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		m[q] = s
	}
	return m, nil
}

// Close waits for the writes in flight, then closes the database.
// Operations after Close fail; closing again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	s.c.close()
	w := s.c.w
	for _, st := range w.stmts {
		st.Close()
	}
	// Keeps the query planner's statistics current, as SQLite advises
	// before closing a connection that wrote; a one-shot process would
	// pay a write for one login's statistics.
	if !s.once {
		w.conn.ExecContext(context.Background(), "PRAGMA optimize")
	}
	err := errors.Join(w.conn.Close(), s.closeDBs())
	if err != nil {
		return fmt.Errorf("sqlite: close %q: %w", s.path, err)
	}
	return nil
}

// closeDBs closes the pools. A one-shot store closes its writer first:
// the read-only connections closed after it leave the WAL alone.
func (s *Store) closeDBs() error {
	var errs []error
	if s.once && s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if s.hot != nil {
		errs = append(errs, s.hot.close())
	}
	if s.reads != nil {
		for _, st := range s.reads.stmts {
			errs = append(errs, st.Close())
		}
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if !s.once && s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}
