package oob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Reasons of a verification, for the audit trail and Result.Reason. None
// carries the code, and none must reach the client.
const (
	ReasonAccepted  = "accepted"
	ReasonWrongCode = "wrong code"
	ReasonNotACode  = "not a code of this length"
	ReasonNoCode    = "no code pending"
	ReasonExpired   = "code expired"
	ReasonTaken     = "replayed: the code was used or replaced first"
	ReasonLocked    = "locked"
	ReasonNowLocked = "now locked"
	ReasonNotOOB    = "not an out-of-band token of the user"
)

// VerifyRequest is a code typed in answer to a challenge.
type VerifyRequest struct {
	User      string
	TokenID   string
	Challenge string // the challenge the code was sent for
	Code      string // never logged
	Source    string // for the audit trail
	Actor     store.Actor
}

// Result is a verification's outcome. A refusal looks the same to the
// caller whatever its cause; Reason is for logs and the audit trail only.
type Result struct {
	OK     bool
	Reason string
}

// Verify checks req.Code against the code pending for the token and
// challenge and, when it matches and has not expired, takes it: the code is
// accepted once. Every refusal counts a failure on the token (the Lockout
// of Settings) and is audited with it, in one write. An error means the
// store failed; the caller must refuse.
func (svc *Service) Verify(ctx context.Context, req VerifyRequest) (Result, error) {
	now := svc.now()
	tok, err := svc.st.Token(ctx, req.TokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !isOOBToken(tok, req.User) {
		return Result{Reason: ReasonNotOOB}, svc.audit(ctx, verifyEvent(req, now, store.ResultFail, ReasonNotOOB))
	}
	if err != nil {
		return Result{}, fmt.Errorf("oob: token %s: %w", req.TokenID, err)
	}
	reason, c, err := svc.check(ctx, req, tok, now)
	if err != nil {
		return Result{}, err
	}
	if reason == "" {
		if reason, err = svc.take(ctx, req, tok, c, now); err != nil {
			return Result{}, err
		}
	}
	if reason == ReasonAccepted {
		return Result{OK: true, Reason: reason}, nil
	}
	return svc.refuse(ctx, req, tok, now, reason)
}

func isOOBToken(t store.Token, user string) bool {
	return t.User == user && t.Enabled && t.Type.OutOfBand()
}

// check compares the code with the pending one; "" means it matches.
func (svc *Service) check(ctx context.Context, req VerifyRequest, tok store.Token, now time.Time) (string, store.OOBCode, error) {
	switch {
	case tok.Locked(now):
		return ReasonLocked, store.OOBCode{}, nil
	case !isCode(req.Code, svc.s.Digits):
		return ReasonNotACode, store.OOBCode{}, nil
	}
	c, err := svc.st.OOBCode(ctx, tok.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ReasonNoCode, c, nil
	}
	if err != nil {
		return "", c, fmt.Errorf("oob: code of token %s: %w", tok.ID, err)
	}
	switch {
	case !svc.box.CheckMAC(macPurpose, macInput(req.User, tok.ID, req.Challenge, req.Code), c.MAC):
		return ReasonWrongCode, c, nil
	case !now.Before(c.Expires):
		return ReasonExpired, c, nil
	}
	return "", c, nil
}

// take consumes a matching code and records the success with its audit
// event; the store's conditional write refuses it if the token was locked
// or disabled meanwhile. The code is gone either way.
func (svc *Service) take(ctx context.Context, req VerifyRequest, tok store.Token, c store.OOBCode, now time.Time) (string, error) {
	ok, err := svc.st.TakeOOBCode(ctx, tok.ID, c.MAC, now)
	if err != nil {
		return "", fmt.Errorf("oob: take the code of token %s: %w", tok.ID, err)
	}
	if !ok {
		return ReasonTaken, nil
	}
	commit, err := svc.st.CommitSuccess(ctx, store.Success{TokenID: tok.ID, Next: tok.Next + 1, Now: now,
		Event: verifyEvent(req, now, store.ResultOK, ReasonAccepted)})
	if err != nil {
		return "", fmt.Errorf("oob: commit token %s: %w", tok.ID, err)
	}
	switch commit {
	case store.Committed:
		return ReasonAccepted, nil
	case store.Locked:
		return ReasonLocked, nil
	case store.Disabled:
		return ReasonNotOOB, nil
	}
	return ReasonTaken, nil
}

// refuse counts a failure on tok and records the refusal's audit event
// with it.
func (svc *Service) refuse(ctx context.Context, req VerifyRequest, tok store.Token, now time.Time, reason string) (Result, error) {
	lockUntil := store.Forever
	if svc.s.Lockout.LockFor > 0 {
		lockUntil = now.Add(svc.s.Lockout.LockFor)
	}
	res := store.ResultFail
	switch reason {
	case ReasonTaken:
		res = store.ResultReplay
	case ReasonLocked:
		res = store.ResultLocked
	}
	f, err := svc.st.RecordFailure(ctx, store.Attempt{
		TokenID: tok.ID, Now: now, MaxFailures: svc.s.Lockout.MaxFailures, LockUntil: lockUntil,
		Event: func(f store.Failure) store.AuditEvent {
			return verifyEvent(req, now, res, svc.failReason(reason, f, now))
		},
	})
	if err != nil {
		return Result{}, fmt.Errorf("oob: record failure of token %s: %w", tok.ID, err)
	}
	return Result{Reason: svc.failReason(reason, f, now)}, nil
}

// failReason is reason once its failure f is recorded: it says when this
// failure locked the token (the MaxFailures-th in a row does, as in the
// engine).
func (svc *Service) failReason(reason string, f store.Failure, now time.Time) string {
	if reason != ReasonLocked && f.Failures >= max(svc.s.Lockout.MaxFailures, 1) && now.Before(f.LockedUntil) {
		return reason + ", " + ReasonNowLocked
	}
	return reason
}

func verifyEvent(req VerifyRequest, now time.Time, res store.Result, reason string) store.AuditEvent {
	return store.AuditEvent{Time: now, Actor: req.Actor, Action: store.ActionVerify, User: req.User,
		TokenID: req.TokenID, Result: res, Reason: reason, Source: req.Source}
}
