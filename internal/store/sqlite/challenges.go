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

// Challenge IDs are what a client answers with, so errors never show them.

// PutChallenge stores c; ErrExists if its ID is taken. c.Expires must be
// set; a zero c.Created is set to now.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	if c.ID == "" || c.Expires.IsZero() {
		return errors.New("sqlite: put challenge: ID and Expires must be set")
	}
	c.Created = sqlstore.OrNow(c.Created)
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertChallenge, sqlstore.ChallengeArgs(c)...)
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put challenge for %q: %w", c.User, err)
	}
	return nil
}

// TakeChallenge deletes the challenge and returns it if it had not expired
// at now (now < Expires); an expired one is deleted and ErrNotFound.
func (s *Store) TakeChallenge(ctx context.Context, id string, now time.Time) (store.Challenge, error) {
	var c store.Challenge
	err := s.write(ctx, func(w *writer) error {
		var err error
		c, err = sqlstore.ScanChallenge(w.queryRow(sqlstore.TakeChallenge, id))
		if errors.Is(err, sql.ErrNoRows) {
			return answer(store.ErrNotFound)
		}
		return err
	})
	if err == nil && !now.Before(c.Expires) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, fmt.Errorf("sqlite: take challenge: %w", err)
	}
	return c, nil
}

// PurgeChallenges deletes every challenge expired at now (Expires <= now)
// and returns how many.
func (s *Store) PurgeChallenges(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(sqlstore.PurgeChallenges, sqlstore.Nanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge challenges: %w", err)
	}
	return int(n), nil
}
