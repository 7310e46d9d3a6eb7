package sqlite

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The store records a verification's outcome and its audit event as one
// write of the group commit: a success costs one place in one batch instead
// of two, and its event is in the same transaction, so neither is committed
// without the other.

var _ store.AuditedWriter = (*Store)(nil)

// CommitSuccessAudit is CommitSuccess and, when it reports true,
// AppendAudit(e), in one transaction.
func (s *Store) CommitSuccessAudit(ctx context.Context, id string, next, drift int64, now time.Time, e store.AuditEvent) (bool, error) {
	var ok bool
	err := s.write(ctx, func(w *writer) (err error) {
		if ok, err = w.commitSuccess(id, next, drift, now); !ok || err != nil {
			return err
		}
		return w.appendAudit(e)
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: commit success of token %q: %w", id, err)
	}
	return ok, nil
}

// RecordFailureAudit is RecordFailure and AppendAudit(audit(f)) in one
// transaction.
func (s *Store) RecordFailureAudit(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time,
	audit func(store.Failure) store.AuditEvent) (store.Failure, error) {
	var f store.Failure
	err := s.write(ctx, func(w *writer) (err error) {
		if f, err = w.recordFailure(id, now, maxFailures, lockUntil); err != nil {
			return err
		}
		return w.appendAudit(audit(f))
	})
	if err != nil {
		return store.Failure{}, fmt.Errorf("sqlite: record failure of token %q: %w", id, err)
	}
	return f, nil
}
