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

// CommitSuccess raises the token's Next to next if it is still below: one
// conditional UPDATE, committed before it reports true. False means the
// counter was used already. An unknown id is ErrNotFound.
func (s *Store) CommitSuccess(ctx context.Context, id string, next, drift int64, now time.Time) (bool, error) {
	var ok bool
	err := s.write(ctx, func(w *writer) (err error) {
		ok, err = w.commitSuccess(id, next, drift, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: commit success of token %q: %w", id, err)
	}
	return ok, nil
}

// commitSuccess runs the conditional UPDATE of CommitSuccess.
func (w *writer) commitSuccess(id string, next, drift int64, now time.Time) (bool, error) {
	res, err := w.exec(sqlstore.CommitSuccess, id, next, drift, sqlstore.Nanos(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 1 {
		return true, nil
	}
	return false, w.tokenExists(id)
}

// tokenExists answers ErrNotFound when no token has id. The transaction it
// runs in makes the answer consistent with the statement before it.
func (w *writer) tokenExists(id string) error {
	var n int
	if err := w.queryRow(sqlstore.TokenExists, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return answer(store.ErrNotFound)
	}
	return nil
}

// RecordFailure counts one failed attempt in one UPDATE ... RETURNING.
func (s *Store) RecordFailure(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time) (store.Failure, error) {
	var f store.Failure
	err := s.write(ctx, func(w *writer) (err error) {
		f, err = w.recordFailure(id, now, maxFailures, lockUntil)
		return err
	})
	if err != nil {
		return store.Failure{}, fmt.Errorf("sqlite: record failure of token %q: %w", id, err)
	}
	return f, nil
}

// recordFailure runs the UPDATE of RecordFailure.
func (w *writer) recordFailure(id string, now time.Time, maxFailures int, lockUntil time.Time) (store.Failure, error) {
	var (
		f      store.Failure
		locked sql.NullInt64
	)
	err := w.queryRow(sqlstore.RecordFailure, id, sqlstore.Nanos(now), maxFailures, sqlstore.Time(lockUntil)).
		Scan(&f.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Failure{}, answer(store.ErrNotFound)
	}
	f.LockedUntil = sqlstore.FromNull(locked)
	return f, err
}

// Unlock clears the token's failures and lock.
func (s *Store) Unlock(ctx context.Context, id string) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.Unlock, id))
	})
	if err != nil {
		return fmt.Errorf("sqlite: unlock token %q: %w", id, err)
	}
	return nil
}

// Reseal runs fn on every token in one transaction of its own and writes
// back each token's Secret and PrivateID. Writes from other goroutines wait
// until it is done; fn must not call the store's write methods, which would
// wait for it. An error from fn rolls everything back and is returned.
func (s *Store) Reseal(ctx context.Context, fn func(t *store.Token) error) error {
	err := s.c.do(ctx, &op{alone: true, run: func(w *writer) error {
		return w.reseal(fn)
	}})
	if err != nil {
		return fmt.Errorf("sqlite: reseal: %w", err)
	}
	return nil
}

func (w *writer) reseal(fn func(t *store.Token) error) error {
	after := ""
	for {
		ts, err := collect(w.query(sqlstore.SelectTokenPage, after, walkPage))
		if err != nil {
			return err
		}
		for i := range ts {
			id := ts[i].ID
			if err := fn(&ts[i]); err != nil {
				return answer(fmt.Errorf("token %q: %w", id, err))
			}
			ts[i].ID = id
			if _, err := w.exec(sqlstore.UpdateSecrets, sqlstore.SecretArgs(&ts[i])...); err != nil {
				return err
			}
		}
		if len(ts) < walkPage {
			return nil
		}
		after = ts[len(ts)-1].ID
	}
}
