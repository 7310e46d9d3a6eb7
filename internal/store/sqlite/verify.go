package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// CommitSuccess records s and its event in one write of the group commit:
// the conditional UPDATE, and the INSERT of the event when it changed the
// row, committed before it reports Committed.
func (s *Store) CommitSuccess(ctx context.Context, sc store.Success) (store.Commit, error) {
	var c store.Commit
	err := s.write(ctx, func(w *writer) (err error) {
		c, err = w.commitSuccess(sc)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: commit success of token %q: %w", sc.TokenID, err)
	}
	return c, nil
}

// commitSuccess runs CommitSuccess's statements in the batch transaction,
// which makes the state read after an UPDATE that changed nothing the state
// the UPDATE saw.
func (w *writer) commitSuccess(s store.Success) (store.Commit, error) {
	res, err := w.exec(sqlstore.CommitSuccess, s.TokenID, s.Next, s.Drift, sqlstore.Nanos(s.Now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 1 {
		return store.Committed, w.appendAudit(s.Event)
	}
	var (
		enabled bool
		locked  sql.NullInt64
	)
	err = w.queryRow(sqlstore.CommitState, s.TokenID).Scan(&enabled, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, answer(store.ErrNotFound)
	}
	return sqlstore.CommitOutcome(enabled, locked, s.Now), err
}

// RecordFailure counts one failed attempt in one UPDATE ... RETURNING and
// appends its event, in one write of the group commit.
func (s *Store) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	var f store.Failure
	err := s.write(ctx, func(w *writer) (err error) {
		if f, err = w.recordFailure(a); err != nil {
			return err
		}
		return w.appendAudit(a.Event(f))
	})
	if err != nil {
		return store.Failure{}, fmt.Errorf("sqlite: record failure of token %q: %w", a.TokenID, err)
	}
	return f, nil
}

// recordFailure runs the UPDATE of RecordFailure.
func (w *writer) recordFailure(a store.Attempt) (store.Failure, error) {
	var (
		f      store.Failure
		locked sql.NullInt64
	)
	err := w.queryRow(sqlstore.RecordFailure, a.TokenID, sqlstore.Nanos(a.Now), a.MaxFailures, sqlstore.Time(a.LockUntil)).
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
//
// Then it rebuilds the database file (VACUUM) and empties the WAL (a
// TRUNCATE checkpoint), so that no replaced value is left in either: the
// write connection runs with secure_delete, which zeroes what a statement
// deletes, but old versions of pages also live in the WAL and, after a
// page is freed, on the free list. A reader in another process that holds
// the WAL open makes the checkpoint fail; the rotation itself stands, and
// Reseal says what is left.
func (s *Store) Reseal(ctx context.Context, fn func(t *store.Token) error) error {
	err := s.c.do(ctx, &op{alone: true, run: func(w *writer) error {
		return w.reseal(fn)
	}})
	if err != nil {
		return fmt.Errorf("sqlite: reseal: %w", err)
	}
	if err := s.c.do(ctx, &op{alone: true, bare: true, run: (*writer).scrub}); err != nil {
		return fmt.Errorf("sqlite: reseal: the secrets are resealed, but the old ones may remain in %q or its WAL: %w", s.path, err)
	}
	return nil
}

// scrub rewrites the database without free pages and truncates the WAL.
func (w *writer) scrub() error {
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	var busy, frames, done int
	if err := w.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("checkpoint: another process is reading the database (stop otpgate serve and run rekey again)")
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
