package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// ReplaceTokens deletes the user's tokens old and adds t in one
// transaction.
func (s *Store) ReplaceTokens(ctx context.Context, old []string, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("pgstore: replace tokens: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, id := range old {
			if err := mustChange(tx.Exec(ctx, sqlstore.DeleteUserToken, id, t.User)); err != nil {
				return fmt.Errorf("token %q of user %q: %w", id, t.User, err)
			}
		}
		_, err := tx.Exec(ctx, sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
		return tokenConflict(err, t)
	})
	if err != nil {
		return s.fail(fmt.Sprintf("replace tokens of user %q", t.User), err)
	}
	return nil
}
