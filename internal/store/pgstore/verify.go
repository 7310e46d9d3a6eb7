package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// CommitSuccess raises the token's Next to next if it is still below: one
// conditional UPDATE, committed before it reports true. False means the
// counter was used already, here or on another node. An unknown id is
// ErrNotFound.
func (s *Store) CommitSuccess(ctx context.Context, id string, next, drift int64, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.CommitSuccess, id, next, drift, sqlstore.Nanos(now))
	if err == nil && tag.RowsAffected() == 0 {
		err = s.tokenExists(ctx, id)
	}
	if err != nil {
		return false, s.fail(fmt.Sprintf("commit success of token %q", id), err)
	}
	return tag.RowsAffected() == 1, nil
}

// tokenExists answers ErrNotFound when no token has id. It runs after the
// UPDATE that changed nothing, so a token deleted in between is reported
// missing rather than replayed: both refuse the code.
func (s *Store) tokenExists(ctx context.Context, id string) error {
	var n int
	if err := s.pool.QueryRow(ctx, sqlstore.TokenExists, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RecordFailure counts one failed attempt in one UPDATE ... RETURNING.
func (s *Store) RecordFailure(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time) (store.Failure, error) {
	var (
		f      store.Failure
		locked sql.NullInt64
	)
	err := s.pool.QueryRow(ctx, sqlstore.RecordFailure, id, sqlstore.Nanos(now), maxFailures, sqlstore.Time(lockUntil)).
		Scan(&f.Failures, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Failure{}, s.fail(fmt.Sprintf("record failure of token %q", id), err)
	}
	f.LockedUntil = sqlstore.FromNull(locked)
	return f, nil
}

// Unlock clears the token's failures and lock.
func (s *Store) Unlock(ctx context.Context, id string) error {
	if err := mustChange(s.pool.Exec(ctx, sqlstore.Unlock, id)); err != nil {
		return s.fail(fmt.Sprintf("unlock token %q", id), err)
	}
	return nil
}

// lockTokens keeps every other writer, on every node, out of the tokens
// table until Reseal's transaction ends, while reads go on (EXCLUSIVE mode,
// PostgreSQL 13.3.1 Table-Level Locks): no token is added, changed or
// deleted behind the rotation. Logins meanwhile wait for their
// CommitSuccess, up to the statement timeout.
const lockTokens = `LOCK TABLE tokens IN EXCLUSIVE MODE`

// Reseal runs fn on every token in one transaction and writes back each
// token's Secret and PrivateID. An error from fn rolls everything back and
// is returned wrapped. fn must not write to the store: the write would wait
// for the table lock that Reseal holds.
func (s *Store) Reseal(ctx context.Context, fn func(t *store.Token) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockTokens); err != nil {
			return err
		}
		return reseal(ctx, tx, fn)
	})
	if err != nil {
		return s.fail("reseal", err)
	}
	return nil
}

func reseal(ctx context.Context, tx pgx.Tx, fn func(t *store.Token) error) error {
	after := ""
	for {
		ts, err := page(ctx, tx, after)
		if err != nil {
			return err
		}
		var b pgx.Batch
		for i := range ts {
			id := ts[i].ID
			if err := fn(&ts[i]); err != nil {
				return fmt.Errorf("token %q: %w", id, err)
			}
			ts[i].ID = id
			b.Queue(sqlstore.UpdateSecrets, sqlstore.SecretArgs(&ts[i])...)
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		if len(ts) < walkPage {
			return nil
		}
		after = ts[len(ts)-1].ID
	}
}
