package store

import (
	"context"
	"time"
)

// LoginLimit is how [LoginFailures.RecordLoginFailure] counts the failures
// of one subject and when it locks it.
type LoginLimit struct {
	// MaxFailures is the failure at which a subject is locked, as
	// engine.Policy.MaxFailures is a token's (0 and 1 lock at the first);
	// each failure while locked restarts the lock.
	MaxFailures int
	// Remember is how long a subject's count is kept after its last
	// failure; later, the next failure counts from 1 again. It must be
	// positive.
	Remember time.Duration
	// LockFor is how long a lock lasts. It must be positive: a subject
	// that is not a token has no admin to unlock it.
	LockFor time.Duration
}

// LoginFailures counts failed logins of subjects that are not tokens: a
// client address, a login name that holds no token. Like a token's
// failures, the counts live in the store, so that every process and node
// sees the same ones. A subject is an opaque key made by [NameSubject] or
// [ClientSubject].
type LoginFailures interface {
	// RecordLoginFailure counts one failure of subject at now under l and
	// returns the subject's state after it. When e is not nil it is
	// appended to the audit trail in the same transaction.
	RecordLoginFailure(ctx context.Context, subject string, now time.Time, l LoginLimit, e *AuditEvent) (Failure, error)
	// LoginFailure returns subject's state at now: the zero Failure when
	// none is remembered.
	LoginFailure(ctx context.Context, subject string, now time.Time) (Failure, error)
	// ClearLoginFailure forgets subject's failures and lock; an unknown
	// subject is not an error.
	ClearLoginFailure(ctx context.Context, subject string) error
	// PurgeLoginFailures deletes what is no longer remembered at now and
	// reports how many subjects it deleted.
	PurgeLoginFailures(ctx context.Context, now time.Time) (int, error)
}

// NameSubject is the subject of a login name that holds no enabled token.
func NameSubject(user string) string { return "name:" + user }

// ClientSubject is the subject of a client, by the address (or the prefix
// of addresses) the login service counts it under.
func ClientSubject(client string) string { return "client:" + client }
