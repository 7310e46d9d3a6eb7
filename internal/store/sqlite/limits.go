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

// Login failures. Subjects are names a client chose, so errors do not
// repeat them.

// RecordLoginFailure counts one failure of subject in one upsert and, with
// e, its audit event in the same write of the group commit.
func (s *Store) RecordLoginFailure(ctx context.Context, subject string, now time.Time, l store.LoginLimit, e *store.AuditEvent) (store.Failure, error) {
	if l.Remember <= 0 || l.LockFor <= 0 {
		return store.Failure{}, errors.New("sqlite: record login failure: Remember and LockFor must be positive")
	}
	var f store.Failure
	err := s.write(ctx, func(w *writer) error {
		var locked sql.NullInt64
		err := w.queryRow(sqlstore.RecordLoginFailure, sqlstore.LoginFailureArgs(subject, now, l)...).Scan(&f.Failures, &locked)
		if err != nil {
			return err
		}
		f.LockedUntil = sqlstore.FromNull(locked)
		if e == nil {
			return nil
		}
		return w.appendAudit(*e)
	})
	if err != nil {
		return store.Failure{}, fmt.Errorf("sqlite: record login failure: %w", err)
	}
	return f, nil
}

// LoginFailure reads subject's row on a hot reader.
func (s *Store) LoginFailure(ctx context.Context, subject string, now time.Time) (store.Failure, error) {
	var f store.Failure
	err := s.hot.do(ctx, func(ctx context.Context, r *reader) (err error) {
		f, err = sqlstore.ScanLoginFailure(r.queryRow(ctx, sqlstore.SelectLoginFailure, subject), now)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Failure{}, nil
	}
	if err != nil {
		return store.Failure{}, fmt.Errorf("sqlite: login failures: %w", err)
	}
	return f, nil
}

// ClearLoginFailure deletes subject's row.
func (s *Store) ClearLoginFailure(ctx context.Context, subject string) error {
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.ClearLoginFailure, subject)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: clear login failures: %w", err)
	}
	return nil
}

// PurgeLoginFailures deletes the rows expired at now.
func (s *Store) PurgeLoginFailures(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(sqlstore.PurgeLoginFailures, sqlstore.Nanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge login failures: %w", err)
	}
	return int(n), nil
}
