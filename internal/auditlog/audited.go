package auditlog

import (
	"context"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// A Log records a verification's outcome and its event as one write of the
// store it wraps, when that store can (store.AuditedWriter: the SQLite
// store's group commit), and writes the event's line once the write is
// committed. Over any other store it makes the two calls the engine would.
// Either way a line is written only for an event the store kept.

var _ store.AuditedWriter = (*Log)(nil)

// CommitSuccessAudit is store.AuditedWriter's: the success and, when it
// reports true, e, stored and copied as a line.
func (l *Log) CommitSuccessAudit(ctx context.Context, id string, next, drift int64, now time.Time, e store.AuditEvent) (bool, error) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	aw, ok := l.Store.(store.AuditedWriter)
	if !ok {
		if ok, err := l.Store.CommitSuccess(ctx, id, next, drift, now); !ok || err != nil {
			return ok, err
		}
		return true, l.AppendAudit(ctx, e)
	}
	ok, err := aw.CommitSuccessAudit(ctx, id, next, drift, now, e)
	if ok && err == nil {
		l.enqueue(Marshal(e))
	}
	return ok, err
}

// RecordFailureAudit is store.AuditedWriter's: the failure and the event
// audit makes of it, stored and copied as a line.
func (l *Log) RecordFailureAudit(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time,
	audit func(store.Failure) store.AuditEvent) (store.Failure, error) {
	aw, ok := l.Store.(store.AuditedWriter)
	if !ok {
		f, err := l.Store.RecordFailure(ctx, id, now, maxFailures, lockUntil)
		if err != nil {
			return f, err
		}
		return f, l.AppendAudit(ctx, audit(f))
	}
	var e store.AuditEvent // set by the store's writer, read once it answered
	f, err := aw.RecordFailureAudit(ctx, id, now, maxFailures, lockUntil, func(f store.Failure) store.AuditEvent {
		e = audit(f)
		if e.Time.IsZero() {
			e.Time = l.now()
		}
		return e
	})
	if err == nil {
		l.enqueue(Marshal(e))
	}
	return f, err
}
