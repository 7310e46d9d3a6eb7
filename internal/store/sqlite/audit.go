package sqlite

import (
	"context"
	"fmt"

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

// Audit returns the events f selects, newest first.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	q, args := sqlstore.SelectAudit(f)
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
