package sqlite

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AppendAudit records e; a zero e.Time is set to now. Like every write it
// joins the next group commit, so auditing a login costs no fsync of its own.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	e.Time = sqlstore.OrNow(e.Time)
	err := s.write(ctx, func(w *writer) error {
		return w.appendAudit(e)
	})
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

// appendAudit inserts e; a zero e.Time is set to now.
func (w *writer) appendAudit(e store.AuditEvent) error {
	e.Time = sqlstore.OrNow(e.Time)
	_, err := w.exec(sqlstore.InsertAudit, sqlstore.AuditArgs(e)...)
	return err
}

// PruneAudit deletes the events logged before before, store.PruneBatch at
// a time, each batch one write of the group commit.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.write(ctx, func(w *writer) error {
			res, err := w.exec(sqlstore.PruneAudit, sqlstore.Nanos(before), store.PruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("sqlite: prune audit: %w", err)
		}
		total += int(n)
		if n < store.PruneBatch {
			return total, nil
		}
	}
}

// AuditAfter returns up to limit events after seq, in seq order, which is
// the order their transactions committed in: one writer numbers them.
func (s *Store) AuditAfter(ctx context.Context, seq int64, limit int) ([]store.AuditEvent, int64, error) {
	es, err := s.audit(ctx, sqlstore.SelectAuditAfter, seq, limit)
	if err != nil {
		return nil, 0, err
	}
	var last int64
	if err := s.rdb.QueryRowContext(ctx, sqlstore.LastAuditSeq).Scan(&last); err != nil {
		return nil, 0, fmt.Errorf("sqlite: audit: %w", err)
	}
	return es, last, nil
}

// Audit returns the events f selects, newest first.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	q, args := sqlstore.SelectAudit(f)
	return s.audit(ctx, q, args...)
}

func (s *Store) audit(ctx context.Context, q string, args ...any) ([]store.AuditEvent, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	defer rows.Close()
	var es []store.AuditEvent
	for rows.Next() {
		e, err := sqlstore.ScanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: audit: %w", err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	return es, nil
}
