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

var _ store.OOBStore = (*Store)(nil)

// PutOOBCode stores c as the pending code of its token unless the one
// before is still pending and was sent after resendBefore (ErrTooSoon).
// The upsert locks the token's row, so of two nodes sending at once the
// second sees the first's code and its time.
func (s *Store) PutOOBCode(ctx context.Context, c store.OOBCode, resendBefore time.Time) error {
	tag, err := s.pool.Exec(ctx, sqlstore.PutOOBCode, append(sqlstore.OOBCodeArgs(c), sqlstore.Nanos(resendBefore))...)
	if _, ok := constraint(err, foreignKeyViolation); ok {
		err = store.ErrNotFound
	} else if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrTooSoon
	}
	if err != nil {
		return s.fail(fmt.Sprintf("put code of token %q", c.TokenID), err)
	}
	return nil
}

// OOBCode returns the code pending for tokenID, or ErrNotFound.
func (s *Store) OOBCode(ctx context.Context, tokenID string) (store.OOBCode, error) {
	c, err := sqlstore.ScanOOBCode(s.pool.QueryRow(ctx, sqlstore.SelectOOBCode, tokenID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.OOBCode{}, s.fail(fmt.Sprintf("code of token %q", tokenID), err)
	}
	return c, nil
}

// TakeOOBCode deletes the code of tokenID if it is still mac and has not
// expired at now, and reports whether it did. Under Read Committed a
// second DELETE of the same row waits for the first and then finds it gone.
func (s *Store) TakeOOBCode(ctx context.Context, tokenID string, mac []byte, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.TakeOOBCode, tokenID, mac, sqlstore.Nanos(now))
	if err != nil {
		return false, s.fail(fmt.Sprintf("take code of token %q", tokenID), err)
	}
	return tag.RowsAffected() == 1, nil
}

// AdmitSend counts a send at now against every limit if each allows it.
// The transaction locks each subject's row (created first if missing), in
// subject order, so that concurrent sends on any node are decided one
// after the other and two transactions never wait for each other's locks.
func (s *Store) AdmitSend(ctx context.Context, limits []store.SendLimit, window time.Duration, now time.Time) (bool, error) {
	sorted, err := sqlstore.CheckSendLimits(limits, window)
	if err != nil {
		return false, err
	}
	var ok bool
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows := sqlstore.SendRows{
			Get: func(subject string) ([]byte, error) {
				if _, err := tx.Exec(ctx, sqlstore.EnsureOOBSends, subject, []byte{}); err != nil {
					return nil, err
				}
				var b []byte
				err := tx.QueryRow(ctx, sqlstore.SelectOOBSendsForUpdate, subject).Scan(&b)
				return b, err
			},
			Put: func(subject string, last int64, times []byte) error {
				_, err := tx.Exec(ctx, sqlstore.UpsertOOBSends, subject, last, times)
				return err
			},
		}
		var err error
		ok, err = sqlstore.AdmitSends(rows, sorted, window, now)
		return err
	})
	if err != nil {
		return false, s.fail("admit send", err)
	}
	return ok, nil
}

// PurgeOOB deletes expired codes and idle send counts.
func (s *Store) PurgeOOB(ctx context.Context, now time.Time, window time.Duration) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		for _, q := range []struct {
			sql string
			at  time.Time
		}{{sqlstore.PurgeOOBCodes, now}, {sqlstore.PurgeOOBSends, now.Add(-window)}} {
			tag, err := tx.Exec(ctx, q.sql, sqlstore.Nanos(q.at))
			if err != nil {
				return err
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, s.fail("purge codes", err)
	}
	return int(n), nil
}
