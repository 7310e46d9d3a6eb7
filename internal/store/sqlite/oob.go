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

var _ store.OOBStore = (*Store)(nil)

// PutOOBCode stores c as the pending code of its token unless the one
// before is still pending and was sent after resendBefore (ErrTooSoon).
func (s *Store) PutOOBCode(ctx context.Context, c store.OOBCode, resendBefore time.Time) error {
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(sqlstore.PutOOBCode, append(sqlstore.OOBCodeArgs(c), sqlstore.Nanos(resendBefore))...)
		if isForeignKey(err) {
			return answer(store.ErrNotFound)
		}
		if err := mustChange(res, err); errors.Is(err, store.ErrNotFound) {
			return answer(store.ErrTooSoon)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put code of token %q: %w", c.TokenID, err)
	}
	return nil
}

// OOBCode returns the code pending for tokenID, or ErrNotFound.
func (s *Store) OOBCode(ctx context.Context, tokenID string) (store.OOBCode, error) {
	c, err := sqlstore.ScanOOBCode(s.rdb.QueryRowContext(ctx, sqlstore.SelectOOBCode, tokenID))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.OOBCode{}, fmt.Errorf("sqlite: code of token %q: %w", tokenID, err)
	}
	return c, nil
}

// TakeOOBCode deletes the code of tokenID if it is still mac and has not
// expired at now, and reports whether it did.
func (s *Store) TakeOOBCode(ctx context.Context, tokenID string, mac []byte, now time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(sqlstore.TakeOOBCode, tokenID, mac, sqlstore.Nanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: take code of token %q: %w", tokenID, err)
	}
	return n == 1, nil
}

// AdmitSend counts a send at now against every limit if each allows it.
// The committer runs one write at a time, so the reads and writes of one
// call see no other call's.
func (s *Store) AdmitSend(ctx context.Context, limits []store.SendLimit, window time.Duration, now time.Time) (bool, error) {
	sorted, err := sqlstore.CheckSendLimits(limits, window)
	if err != nil {
		return false, err
	}
	var ok bool
	err = s.writeAtomic(ctx, func(w *writer) error {
		rows := sqlstore.SendRows{
			Get: func(subject string) ([]byte, error) {
				var b []byte
				err := w.queryRow(sqlstore.SelectOOBSends, subject).Scan(&b)
				if errors.Is(err, sql.ErrNoRows) {
					return nil, nil
				}
				return b, err
			},
			Put: func(subject string, last int64, times []byte) error {
				_, err := w.exec(sqlstore.UpsertOOBSends, subject, last, times)
				return err
			},
		}
		var err error
		ok, err = sqlstore.AdmitSends(rows, sorted, window, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: admit send: %w", err)
	}
	return ok, nil
}

// PurgeOOB deletes expired codes and idle send counts.
func (s *Store) PurgeOOB(ctx context.Context, now time.Time, window time.Duration) (int, error) {
	var n int64
	err := s.writeAtomic(ctx, func(w *writer) error {
		n = 0 // the committer may run a write again
		for _, q := range []struct {
			sql string
			at  time.Time
		}{{sqlstore.PurgeOOBCodes, now}, {sqlstore.PurgeOOBSends, now.Add(-window)}} {
			res, err := w.exec(q.sql, sqlstore.Nanos(q.at))
			if err != nil {
				return err
			}
			d, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += d
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge codes: %w", err)
	}
	return int(n), nil
}
