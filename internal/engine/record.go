package engine

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Recording outcomes. A store with the optional [store.AuditedWriter]
// methods writes an outcome and its audit event in one transaction; any
// other store gets the two calls of [store.Store]. Either way the store's
// conditional update decides a success, and an event is written only for an
// outcome the store recorded.

// commit records a's success and its audit event; false means another
// request used the code first, and nothing was written.
func (e *Engine) commit(ctx context.Context, req Request, a attempt, now time.Time) (bool, error) {
	ev := verifyEvent(req, now, a.tok, resultOK, a.reason)
	var (
		ok  bool
		err error
	)
	if e.aw != nil {
		ok, err = e.aw.CommitSuccessAudit(ctx, a.tok.ID, a.next, a.drift, now, ev)
	} else {
		ok, err = e.st.CommitSuccess(ctx, a.tok.ID, a.next, a.drift, now)
	}
	if err != nil {
		return false, fmt.Errorf("engine: commit token %s: %w", a.tok.ID, err)
	}
	if !ok || e.aw != nil {
		return ok, nil
	}
	if err := e.audit(ctx, ev); err != nil {
		return false, err
	}
	return true, nil
}

// fail records a failed attempt on a's token and audits it. An attempt on a
// locked token counts too, and restarts the lock: so that its refusal costs
// the same store writes, and so the same time, as a wrong code's, and so
// that a token under attack stays locked until the attempts stop for
// LockFor.
func (e *Engine) fail(ctx context.Context, req Request, a *attempt, now time.Time) error {
	tried := *a // the store may call event after a caller whose ctx ended has moved on
	event := func(f store.Failure) store.AuditEvent {
		return verifyEvent(req, now, tried.tok, tried.outcome, e.failReason(&tried, f, now))
	}
	var (
		f   store.Failure
		err error
	)
	if e.aw != nil {
		f, err = e.aw.RecordFailureAudit(ctx, a.tok.ID, now, e.pol.MaxFailures, e.pol.lockUntil(now), event)
	} else {
		f, err = e.st.RecordFailure(ctx, a.tok.ID, now, e.pol.MaxFailures, e.pol.lockUntil(now))
	}
	if err != nil {
		return fmt.Errorf("engine: record failure of token %s: %w", a.tok.ID, err)
	}
	if e.aw == nil {
		if err := e.audit(ctx, event(f)); err != nil {
			return err
		}
	}
	a.reason = e.failReason(a, f, now)
	return nil
}

// failReason is a's reason once its failure f is recorded: it says when
// this failure locked the token. It leaves a alone, because a store may run
// it more than once.
func (e *Engine) failReason(a *attempt, f store.Failure, now time.Time) string {
	if a.outcome != resultLocked && f.Failures > e.pol.MaxFailures && now.Before(f.LockedUntil) {
		return a.reason + ", " + ReasonNowLocked
	}
	return a.reason
}
