package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Import creates users and adds tokens in one transaction: all of it, or
// nothing and an error naming the user or token that failed.
func (s *Store) Import(ctx context.Context, users []string, tokens []*store.Token) error {
	created := sqlstore.Now()
	if err := sqlstore.PrepareTokens(created, tokens...); err != nil {
		return fmt.Errorf("pgstore: import: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, u := range users {
			_, err := tx.Exec(ctx, sqlstore.InsertUser, u, sqlstore.Nanos(created))
			if isUnique(err) {
				return fmt.Errorf("user %q: %w", u, store.ErrExists)
			}
			if err != nil {
				return fmt.Errorf("user %q: %w", u, err)
			}
		}
		for _, t := range tokens {
			_, err := tx.Exec(ctx, sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
			if err := tokenConflict(err, t); err != nil {
				return fmt.Errorf("token %q: %w", t.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return s.fail("import", err)
	}
	return nil
}
