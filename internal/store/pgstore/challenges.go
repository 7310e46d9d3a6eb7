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

// Challenge IDs are what a client answers with, so errors never show them.

// PutChallenge stores c; ErrExists if its ID is taken. c.Expires must be
// set; a zero c.Created is set to now.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	if c.ID == "" || c.Expires.IsZero() {
		return errors.New("pgstore: put challenge: ID and Expires must be set")
	}
	c.Created = sqlstore.OrNow(c.Created)
	_, err := s.pool.Exec(ctx, sqlstore.InsertChallenge, sqlstore.ChallengeArgs(c)...)
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("put challenge for %q", c.User), err)
	}
	return nil
}

// TakeChallenge deletes the challenge and returns it if it had not expired
// at now (now < Expires); an expired one is deleted and ErrNotFound. The
// DELETE ... RETURNING gives the row to one caller only, on any node.
func (s *Store) TakeChallenge(ctx context.Context, id string, now time.Time) (store.Challenge, error) {
	c, err := sqlstore.ScanChallenge(s.pool.QueryRow(ctx, sqlstore.TakeChallenge, id))
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !now.Before(c.Expires) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, s.fail("take challenge", err)
	}
	return c, nil
}

// PurgeChallenges deletes every challenge expired at now (Expires <= now)
// and returns how many.
func (s *Store) PurgeChallenges(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.PurgeChallenges, sqlstore.Nanos(now))
	if err != nil {
		return 0, s.fail("purge challenges", err)
	}
	return int(tag.RowsAffected()), nil
}
