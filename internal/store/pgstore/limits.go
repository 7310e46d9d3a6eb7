package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Login failures. Subjects are names a client chose, so errors do not
// repeat them. The upsert takes the row's lock, so concurrent failures of
// one subject on any node each count once.

// RecordLoginFailure counts one failure of subject in one upsert and, with
// e, its audit event in the same transaction.
func (s *Store) RecordLoginFailure(ctx context.Context, subject string, now time.Time, l store.LoginLimit, e *store.AuditEvent) (store.Failure, error) {
	if l.Remember <= 0 || l.LockFor <= 0 {
		return store.Failure{}, errors.New("pgstore: record login failure: Remember and LockFor must be positive")
	}
	var f store.Failure
	record := func(q interface {
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}) error {
		var locked sql.NullInt64
		err := q.QueryRow(ctx, sqlstore.RecordLoginFailure, sqlstore.LoginFailureArgs(subject, now, l)...).Scan(&f.Failures, &locked)
		f.LockedUntil = sqlstore.FromNull(locked)
		return err
	}
	var err error
	if e == nil {
		err = record(s.pool)
	} else {
		ev := *e
		ev.Time = sqlstore.OrNow(ev.Time)
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := record(tx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sqlstore.InsertAudit, sqlstore.AuditArgs(ev)...)
			return err
		})
	}
	if err != nil {
		return store.Failure{}, s.fail("record login failure", err)
	}
	return f, nil
}

// LoginFailure reads subject's row.
func (s *Store) LoginFailure(ctx context.Context, subject string, now time.Time) (store.Failure, error) {
	f, err := sqlstore.ScanLoginFailure(s.pool.QueryRow(ctx, sqlstore.SelectLoginFailure, subject), now)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Failure{}, nil
	}
	if err != nil {
		return store.Failure{}, s.fail("login failures", err)
	}
	return f, nil
}

// ClearLoginFailure deletes subject's row.
func (s *Store) ClearLoginFailure(ctx context.Context, subject string) error {
	if _, err := s.pool.Exec(ctx, sqlstore.ClearLoginFailure, subject); err != nil {
		return s.fail("clear login failures", err)
	}
	return nil
}

// PurgeLoginFailures deletes the rows expired at now.
func (s *Store) PurgeLoginFailures(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.PurgeLoginFailures, sqlstore.Nanos(now))
	if err != nil {
		return 0, s.fail("purge login failures", err)
	}
	return int(tag.RowsAffected()), nil
}
