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
	Actor     string
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
// of Settings) and is audited. An error means the store failed; the caller
// must refuse.
func (svc *Service) Verify(ctx context.Context, req VerifyRequest) (Result, error) {
	now := svc.now()
	tok, err := svc.st.Token(ctx, req.TokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !isOOBToken(tok, req.User) {
		return Result{Reason: ReasonNotOOB}, svc.audit(ctx, verifyEvent(req, now, "fail", ReasonNotOOB))
	}
	if err != nil {
		return Result{}, fmt.Errorf("oob: token %s: %w", req.TokenID, err)
	}
	reason, c, err := svc.check(ctx, req, tok, now)
	if err != nil {
		return Result{}, err
	}
	if reason == "" {
		if reason, err = svc.take(ctx, tok, c, now); err != nil {
			return Result{}, err
		}
	}
	if reason == ReasonAccepted {
		return Result{OK: true, Reason: reason}, svc.audit(ctx, verifyEvent(req, now, "ok", reason))
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

// take consumes a matching code and clears the token's failures.
func (svc *Service) take(ctx context.Context, tok store.Token, c store.OOBCode, now time.Time) (string, error) {
	ok, err := svc.st.TakeOOBCode(ctx, tok.ID, c.MAC, now)
	if err != nil {
		return "", fmt.Errorf("oob: take the code of token %s: %w", tok.ID, err)
	}
	if !ok {
		return ReasonTaken, nil
	}
	// The code is gone whatever happens next; this records the success.
	if _, err := svc.st.CommitSuccess(ctx, tok.ID, tok.Next+1, 0, now); err != nil {
		return "", fmt.Errorf("oob: commit token %s: %w", tok.ID, err)
	}
	return ReasonAccepted, nil
}

// refuse counts a failure on tok and audits the refusal.
func (svc *Service) refuse(ctx context.Context, req VerifyRequest, tok store.Token, now time.Time, reason string) (Result, error) {
	lockUntil := store.Forever
	if svc.s.Lockout.LockFor > 0 {
		lockUntil = now.Add(svc.s.Lockout.LockFor)
	}
	f, err := svc.st.RecordFailure(ctx, tok.ID, now, svc.s.Lockout.MaxFailures, lockUntil)
	if err != nil {
		return Result{}, fmt.Errorf("oob: record failure of token %s: %w", tok.ID, err)
	}
	res := "fail"
	if reason == ReasonTaken {
		res = "replay"
	} else if reason == ReasonLocked {
		res = "locked"
	}
	if reason != ReasonLocked && f.Failures > svc.s.Lockout.MaxFailures && now.Before(f.LockedUntil) {
		reason += ", " + ReasonNowLocked
	}
	return Result{Reason: reason}, svc.audit(ctx, verifyEvent(req, now, res, reason))
}

func verifyEvent(req VerifyRequest, now time.Time, res, reason string) store.AuditEvent {
	return store.AuditEvent{Time: now, Actor: req.Actor, Action: actionVerify, User: req.User,
		TokenID: req.TokenID, Result: res, Reason: reason, Source: req.Source}
}
