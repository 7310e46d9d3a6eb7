package engine

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Recording outcomes. The store's conditional write decides a success, and
// each outcome goes to the store with its audit event, which the store
// writes in the same transaction.

// commit records a's success and its audit event. False means the store
// refused it (another request used the code first, or the token was locked
// or disabled meanwhile) and wrote nothing; a then says why, for the
// failure the caller goes on to count.
func (e *Engine) commit(ctx context.Context, req Request, a *attempt, now time.Time) (bool, error) {
	c, err := e.st.CommitSuccess(ctx, store.Success{
		TokenID: a.tok.ID, Next: a.next, Drift: a.drift, Now: now,
		Event: verifyEvent(req, now, a.tok, store.ResultOK, a.reason),
	})
	if err != nil {
		return false, fmt.Errorf("engine: commit token %s: %w", a.tok.ID, err)
	}
	switch c {
	case store.Committed:
		return true, nil
	case store.Locked:
		a.outcome, a.reason = store.ResultLocked, ReasonLocked
	case store.Disabled:
		a.outcome, a.reason = store.ResultFail, ReasonDisabledMeanwhile
	default:
		a.outcome, a.reason = store.ResultReplay, ReasonReplayRace
	}
	return false, nil
}

// fail records a failed attempt on a's token with its audit event. An
// attempt on a locked token counts too, and restarts the lock: so that its
// refusal costs the same store writes, and so the same time, as a wrong
// code's, and so that a token under attack stays locked until the attempts
// stop for LockFor.
func (e *Engine) fail(ctx context.Context, req Request, a *attempt, now time.Time) error {
	tried := *a // the store may make the event after a caller whose ctx ended has moved on
	f, err := e.st.RecordFailure(ctx, store.Attempt{
		TokenID: a.tok.ID, Now: now, MaxFailures: e.pol.MaxFailures, LockUntil: e.pol.lockUntil(now),
		Event: func(f store.Failure) store.AuditEvent {
			return verifyEvent(req, now, tried.tok, tried.outcome, e.failReason(&tried, f, now))
		},
	})
	if err != nil {
		return fmt.Errorf("engine: record failure of token %s: %w", a.tok.ID, err)
	}
	a.reason = e.failReason(a, f, now)
	return nil
}

// failReason is a's reason once its failure f is recorded: it says when
// this failure locked the token. It leaves a alone, because a store may run
// it more than once.
func (e *Engine) failReason(a *attempt, f store.Failure, now time.Time) string {
	if a.outcome != store.ResultLocked && f.Failures >= e.pol.lockAt() && now.Before(f.LockedUntil) {
		return a.reason + ", " + ReasonNowLocked
	}
	return a.reason
}
