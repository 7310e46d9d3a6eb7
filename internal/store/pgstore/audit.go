package pgstore

import (
	"context"

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

// Audit returns the events f selects, newest first.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	q, args := sqlstore.SelectAudit(f)
	rows, _ := s.pool.Query(ctx, q, args...)
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEvent, error) {
		return sqlstore.ScanAudit(row)
	})
	if err != nil {
		return nil, s.fail("audit", err)
	}
	return es, nil
}
