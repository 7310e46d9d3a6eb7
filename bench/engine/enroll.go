package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "modernc.org/sqlite" // the driver package store/sqlite uses

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// bulkEnroll makes the database at path (migrated by sqlite.Open) and loads
// one token per user in one transaction, with tokens made and sealed by
// enroll.NewToken and the store's own INSERT statements: the rows are what
// Enroll writes, a hundred times faster than one Enroll per token.
func bulkEnroll(ctx context.Context, path string, box *secretbox.Box, c config) error {
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
	if err := insertAll(ctx, tx, box, c); err != nil {
		return err
	}
	return tx.Commit()
}

func insertAll(ctx context.Context, tx *sql.Tx, box *secretbox.Box, c config) error {
	users, err := tx.PrepareContext(ctx, sqlstore.InsertUser)
	if err != nil {
		return err
	}
	tokens, err := tx.PrepareContext(ctx, sqlstore.InsertToken)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range c.tokens {
		if i%100_000 == 0 && i > 0 {
			fmt.Fprintf(os.Stderr, "engine: enrolled %d of %d\n", i, c.tokens)
		}
		s := enroll.Spec{User: userName(i), Type: c.typ, Secret: seedKey(i, enroll.OATHSecretSize)}
		t, err := enroll.NewToken(box, s, now)
		if err != nil {
			return err
		}
		if _, err := users.ExecContext(ctx, t.User, sqlstore.Nanos(now)); err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if _, err := tokens.ExecContext(ctx, sqlstore.TokenArgs(&t)...); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
	}
	return nil
}
