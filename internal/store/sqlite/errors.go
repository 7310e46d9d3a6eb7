package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"otpgate.dev/otpgate/internal/store"
)

// write runs fn in the committer's next transaction.
func (s *Store) write(ctx context.Context, fn func(w *writer) error) error {
	return s.c.do(ctx, &op{run: fn})
}

// writeAtomic runs fn, which has several statements, all or nothing.
func (s *Store) writeAtomic(ctx context.Context, fn func(w *writer) error) error {
	return s.c.do(ctx, &op{run: fn, atomic: true})
}

// mustChange answers ErrNotFound when a statement changed no row.
func mustChange(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return answer(store.ErrNotFound)
	}
	return nil
}

// code returns the extended SQLite result code of err, or 0.
func code(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// uniqueColumn names the column of a UNIQUE failure, from SQLite's stable
// message "UNIQUE constraint failed: table.column".
func uniqueColumn(err error) string {
	_, col, ok := strings.Cut(err.Error(), "constraint failed: ")
	if !ok {
		return ""
	}
	_, col, _ = strings.Cut(col, ".")
	return col
}
