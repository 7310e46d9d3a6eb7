package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// commitSuccess is sqlstore.CommitSuccess and the INSERT of its event as
// one statement, so one transaction and one round trip: the INSERT takes
// its row from the UPDATE's RETURNING and so happens only if the UPDATE
// changed the row. A data-modifying WITH runs under Read Committed like the
// UPDATE alone (PostgreSQL 7.8.4), so the first success among nodes wins and
// a lock committed before it is seen. The casts type the parameters, which
// an INSERT ... SELECT does not.
const commitSuccess = `WITH s AS (` + sqlstore.CommitSuccess + ` RETURNING id)
INSERT INTO audit (` + sqlstore.AuditColumns + `)
SELECT $5::bigint, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text, $12::text FROM s`

// CommitSuccess records sc and its event in one statement. Anything but
// Committed was decided by that statement; the reason is read after it,
// and a token changed in between may be given the wrong one of Replayed,
// Locked or Disabled: all three refuse the code.
//
// The successes of concurrent logins are committed together, as one
// statement for many (batch.go).
func (s *Store) CommitSuccess(ctx context.Context, sc store.Success) (store.Commit, error) {
	c, err := s.batch.commit(ctx, sc)
	if err != nil {
		return 0, s.fail(fmt.Sprintf("commit success of token %q", sc.TokenID), err)
	}
	return c, nil
}

// commitOne commits sc alone, in commitSuccess's one statement.
func (s *Store) commitOne(ctx context.Context, sc store.Success) (store.Commit, error) {
	sc.Event.Time = sqlstore.OrNow(sc.Event.Time)
	args := append([]any{sc.TokenID, sc.Next, sc.Drift, sqlstore.Nanos(sc.Now)}, sqlstore.AuditArgs(sc.Event)...)
	tag, err := s.pool.Exec(ctx, commitSuccess, args...)
	if err != nil || tag.RowsAffected() == 1 {
		return store.Committed, err
	}
	return s.commitState(ctx, sc)
}

// commitState says why CommitSuccess changed nothing, or ErrNotFound.
func (s *Store) commitState(ctx context.Context, sc store.Success) (store.Commit, error) {
	var (
		enabled bool
		locked  sql.NullInt64
	)
	err := s.pool.QueryRow(ctx, sqlstore.CommitState, sc.TokenID).Scan(&enabled, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return sqlstore.CommitOutcome(enabled, locked, sc.Now), nil
}

// RecordFailure counts one failed attempt with UPDATE ... RETURNING and
// appends its event, in one transaction.
func (s *Store) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	var f store.Failure
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked sql.NullInt64
		err := tx.QueryRow(ctx, sqlstore.RecordFailure, a.TokenID, sqlstore.Nanos(a.Now), a.MaxFailures, sqlstore.Time(a.LockUntil)).
			Scan(&f.Failures, &locked)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		f.LockedUntil = sqlstore.FromNull(locked)
		e := a.Event(f)
		e.Time = sqlstore.OrNow(e.Time)
		_, err = tx.Exec(ctx, sqlstore.InsertAudit, sqlstore.AuditArgs(e)...)
		return err
	})
	if err != nil {
		return store.Failure{}, s.fail(fmt.Sprintf("record failure of token %q", a.TokenID), err)
	}
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
//
// An UPDATE leaves the old row version, old secret and all, in the table's
// files until a vacuum reclaims it; a plain VACUUM frees the space without
// overwriting it. So Reseal then rewrites the table (VACUUM FULL, which
// holds logins back while it copies the live rows into new files and
// removes the old ones). The write-ahead log, its archive, replicas and
// backups keep the old versions as long as they keep anything.
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
	if err := s.vacuumTokens(ctx); err != nil {
		return s.fail("reseal: the secrets are resealed, but the old ones remain in the tokens table's files until it is vacuumed", err)
	}
	return nil
}

// vacuumTokens rewrites the tokens table, on a connection of its own
// without the pool's statement timeout: VACUUM runs outside any
// transaction, for as long as the table takes to copy.
func (s *Store) vacuumTokens(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM FULL tokens")
	if _, rerr := conn.Exec(context.Background(), "RESET statement_timeout"); rerr != nil {
		conn.Conn().Close(context.Background()) // never back to the pool without its timeout
	}
	return err
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
