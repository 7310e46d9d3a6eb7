package sqlite

import (
	"context"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// ReplaceTokens deletes the user's tokens old and adds t in one
// transaction.
func (s *Store) ReplaceTokens(ctx context.Context, old []string, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("sqlite: replace tokens: %w", err)
	}
	err := s.writeAtomic(ctx, func(w *writer) error {
		for _, id := range old {
			if err := mustChange(w.exec(sqlstore.DeleteUserToken, id, t.User)); isOutcome(err) {
				return answer(fmt.Errorf("token %q of user %q: %w", id, t.User, stripOutcome(err)))
			} else if err != nil {
				return err
			}
		}
		_, err := w.exec(sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
		return tokenConflict(err, t)
	})
	if err != nil {
		return fmt.Errorf("sqlite: replace tokens of user %q: %w", t.User, err)
	}
	return nil
}
