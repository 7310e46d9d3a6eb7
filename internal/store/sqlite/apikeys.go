package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AddAPIKey stores k; ErrExists if its ID is taken.
func (s *Store) AddAPIKey(ctx context.Context, k *store.APIKey) error {
	if err := sqlstore.PrepareAPIKey(k); err != nil {
		return fmt.Errorf("sqlite: add API key: %w", err)
	}
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertAPIKey, sqlstore.APIKeyArgs(k)...)
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: add API key %q: %w", k.ID, err)
	}
	return nil
}

// APIKey returns the key id, revoked or not, or ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := sqlstore.ScanAPIKey(s.rdb.QueryRowContext(ctx, sqlstore.SelectAPIKey, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: API key %q: %w", id, err)
	}
	return k, nil
}

// APIKeys returns every key, ordered by Created, then ID.
func (s *Store) APIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlstore.SelectAPIKeys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: API keys: %w", err)
	}
	defer rows.Close()
	var ks []store.APIKey
	for rows.Next() {
		k, err := sqlstore.ScanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: API keys: %w", err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: API keys: %w", err)
	}
	return ks, nil
}

// RevokeAPIKey marks the key revoked at now; ErrNotFound if it is unknown
// or revoked already.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.RevokeAPIKey, id, sqlstore.Nanos(now)))
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke API key %q: %w", id, err)
	}
	return nil
}

// SetAPIKeySecret replaces the key's Secret; ErrNotFound if it is unknown.
func (s *Store) SetAPIKeySecret(ctx context.Context, id string, secret []byte) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.SetAPIKeySecret, id, secret))
	})
	if err != nil {
		return fmt.Errorf("sqlite: set the secret of API key %q: %w", id, err)
	}
	return nil
}
