package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AppendAudit records e; a zero e.Time is set to now.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	e.Time = sqlstore.OrNow(e.Time)
	if _, err := s.pool.Exec(ctx, sqlstore.InsertAudit, sqlstore.AuditArgs(e)...); err != nil {
		return s.fail("append audit", err)
	}
	return nil
}

// PruneAudit deletes the events logged before before, store.PruneBatch at
// a time, each batch one statement of its own.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		tag, err := s.pool.Exec(ctx, sqlstore.PruneAudit, sqlstore.Nanos(before), store.PruneBatch)
		if err != nil {
			return total, s.fail("prune audit", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < store.PruneBatch {
			return total, nil
		}
	}
}

// Audit returns the events f selects, newest first.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	q, args := sqlstore.SelectAudit(f)
	es, err := s.audit(ctx, q, args...)
	if err != nil {
		return nil, s.fail("audit", err)
	}
	return es, nil
}

// AuditAfter returns up to limit events after seq, in seq order. The
// sequence numbers an event when it is inserted, not when its transaction
// commits, so a lower seq may appear after a higher one.
func (s *Store) AuditAfter(ctx context.Context, seq int64, limit int) ([]store.AuditEvent, int64, error) {
	es, err := s.audit(ctx, sqlstore.SelectAuditAfter, seq, limit)
	var last int64
	if err == nil {
		err = s.pool.QueryRow(ctx, sqlstore.LastAuditSeq).Scan(&last)
	}
	if err != nil {
		return nil, 0, s.fail("audit", err)
	}
	return es, last, nil
}

func (s *Store) audit(ctx context.Context, q string, args ...any) ([]store.AuditEvent, error) {
	rows, _ := s.pool.Query(ctx, q, args...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEvent, error) {
		return sqlstore.ScanAudit(row)
	})
}
