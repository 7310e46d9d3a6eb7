package store

import (
	"context"
	"time"
)

// AuditedWriter is implemented by stores that can record a verification's
// outcome and its audit event in one write. The engine uses it when the store
// has it and falls back to the [Store] methods otherwise; it changes what a
// verification costs, never what it decides.
//
// A wrapper that does something of its own in AppendAudit (package auditlog
// copies events to a stream) must not expose this interface unless it does
// the same here: embedding a [Store] interface value, as such wrappers do,
// hides it.
type AuditedWriter interface {
	// CommitSuccessAudit is CommitSuccess and, when that reports true,
	// AppendAudit(e), in one transaction: the success is not committed
	// without its event, nor the event without the success. When it reports
	// false nothing is written, and the caller audits the refusal it goes on
	// to make.
	CommitSuccessAudit(ctx context.Context, id string, next, drift int64, now time.Time, e AuditEvent) (bool, error)
	// RecordFailureAudit is RecordFailure and AppendAudit(audit(f)), where f
	// is the failure just recorded, in one transaction. audit runs while the
	// store writes: it must be quick and must not call the store.
	RecordFailureAudit(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time,
		audit func(Failure) AuditEvent) (Failure, error)
}
