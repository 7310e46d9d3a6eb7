package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AddAPIKey stores k; ErrExists if its ID is taken.
func (s *Store) AddAPIKey(ctx context.Context, k *store.APIKey) error {
	if err := sqlstore.PrepareAPIKey(k); err != nil {
		return fmt.Errorf("pgstore: add API key: %w", err)
	}
	_, err := s.pool.Exec(ctx, sqlstore.InsertAPIKey, sqlstore.APIKeyArgs(k)...)
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("add API key %q", k.ID), err)
	}
	return nil
}

// APIKey returns the key id, revoked or not, or ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := sqlstore.ScanAPIKey(s.pool.QueryRow(ctx, sqlstore.SelectAPIKey, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.APIKey{}, s.fail(fmt.Sprintf("API key %q", id), err)
	}
	return k, nil
}

// APIKeys returns every key, ordered by Created, then ID.
func (s *Store) APIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectAPIKeys)
	ks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.APIKey, error) { return sqlstore.ScanAPIKey(row) })
	if err != nil {
		return nil, s.fail("API keys", err)
	}
	return ks, nil
}

// RevokeAPIKey marks the key revoked at now; ErrNotFound if it is unknown
// or revoked already.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, sqlstore.RevokeAPIKey, id, sqlstore.Nanos(now))
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return s.fail(fmt.Sprintf("revoke API key %q", id), err)
	}
	return nil
}

// SetAPIKeySecret replaces the key's Secret; ErrNotFound if it is unknown.
func (s *Store) SetAPIKeySecret(ctx context.Context, id string, secret []byte) error {
	tag, err := s.pool.Exec(ctx, sqlstore.SetAPIKeySecret, id, secret)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return s.fail(fmt.Sprintf("set the secret of API key %q", id), err)
	}
	return nil
}
