// Package seed fills a new SQLite store with many tokens for the bench
// programs: one token per user, made and sealed by enroll.NewToken and
// written with the store's own INSERT statements in one transaction, so the
// rows are what Enroll writes, a hundred times faster than one Enroll per
// token.
package seed

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "modernc.org/sqlite" // the driver package store/sqlite uses

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Tokens says what to enroll: N users named Name(i), each with one token of
// Type whose secret is Key(i).
type Tokens struct {
	N    int
	Type store.TokenType
	Name func(i int) string
	Key  func(i int) []byte
}

// Enroll makes the database at path (migrated by sqlite.Open) and loads t.
func Enroll(ctx context.Context, path string, box *secretbox.Box, t Tokens) error {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertAll(ctx, tx, box, t); err != nil {
		return err
	}
	return tx.Commit()
}

func insertAll(ctx context.Context, tx *sql.Tx, box *secretbox.Box, t Tokens) error {
	users, err := tx.PrepareContext(ctx, sqlstore.InsertUser)
	if err != nil {
		return err
	}
	tokens, err := tx.PrepareContext(ctx, sqlstore.InsertToken)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range t.N {
		if i%100_000 == 0 && i > 0 {
			fmt.Fprintf(os.Stderr, "enrolled %d of %d\n", i, t.N)
		}
		tok, err := enroll.NewToken(box, enroll.Spec{User: t.Name(i), Type: t.Type, Secret: t.Key(i)}, now)
		if err != nil {
			return err
		}
		if _, err := users.ExecContext(ctx, tok.User, sqlstore.Nanos(now)); err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if _, err := tokens.ExecContext(ctx, sqlstore.TokenArgs(&tok)...); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
	}
	return nil
}
