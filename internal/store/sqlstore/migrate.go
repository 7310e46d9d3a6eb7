package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// Dialect names a database whose DDL has its own migration directory,
// migrations/<dialect>/NNNN_name.sql.
type Dialect string

// The dialects with migrations.
const (
	SQLite   Dialect = "sqlite"   // the embedded store, package store/sqlite
	Postgres Dialect = "postgres" // the shared store, package store/pgstore
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string // file name, e.g. "0001_init.sql"
	SQL     string
}

// Migrations returns d's migrations in version order. Versions start at 1
// and have no gaps.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: no migrations for dialect %q", d)
	}
	var ms []Migration
	for _, e := range entries {
		m, err := readMigration(dir, e.Name())
		if err != nil {
			return nil, err
		}
		if m.Version != len(ms)+1 {
			return nil, fmt.Errorf("sqlstore: migration %s/%s: version %d out of sequence; want %d", d, m.Name, m.Version, len(ms)+1)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func readMigration(dir, name string) (Migration, error) {
	digits, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(digits)
	if !ok || err != nil || v < 1 || !strings.HasSuffix(name, ".sql") {
		return Migration{}, fmt.Errorf("sqlstore: migration file %q: name must be NNNN_name.sql", name)
	}
	b, err := migrationFiles.ReadFile(path.Join(dir, name))
	if err != nil {
		return Migration{}, fmt.Errorf("sqlstore: read migration %q: %w", name, err)
	}
	return Migration{Version: v, Name: name, SQL: string(b)}, nil
}

// Latest returns the schema version that d's migrations end at, or 0 when d
// has none.
func Latest(d Dialect) int {
	ms, err := Migrations(d)
	if err != nil {
		return 0
	}
	return len(ms)
}

// ErrSchemaNewer is returned by Migrate when the database was migrated by a
// newer otpgate than this one.
var ErrSchemaNewer = errors.New("sqlstore: database schema is newer than this otpgate")

// Conn is what Migrate needs of a database: *sql.DB and *sql.Conn have it.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL
)`

// Migrate brings the database up to Latest(d), applying each missing
// migration in its own transaction and recording it in schema_migrations.
// Several processes may migrate the same database at once: each migration
// checks again, inside its transaction, that it has not been applied. For
// that the transaction must take the write lock when it begins (SQLite's
// BEGIN IMMEDIATE; PostgreSQL needs an advisory lock). Migrate refuses, with
// ErrSchemaNewer, a database whose version is above Latest(d).
func Migrate(ctx context.Context, db Conn, d Dialect) error {
	ms, err := Migrations(d)
	if err != nil {
		return err
	}
	// A current schema costs one read; the table is created (and the
	// version read again) only when this read fails.
	if v, err := Version(ctx, db); err == nil && v == len(ms) {
		return nil
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	v, err := Version(ctx, db)
	if err != nil {
		return err
	}
	if v > len(ms) {
		return fmt.Errorf("%w: it is at version %d, this binary knows up to %d; upgrade otpgate", ErrSchemaNewer, v, len(ms))
	}
	for _, m := range ms[v:] {
		if err := apply(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// Version returns the highest migration recorded in schema_migrations.
func Version(ctx context.Context, db Conn) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func apply(ctx context.Context, db Conn, m Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n)
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil // another process applied it first
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.Name, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migration %s: commit: %w", m.Name, err)
	}
	return nil
}
