package engine

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Audit results (store.AuditEvent.Result).
const (
	resultOK     = "ok"
	resultFail   = "fail"
	resultReplay = "replay"
	resultLocked = "locked"
)

// Reasons, for the audit trail and [Result.Reason]. None carries the code.
const (
	ReasonWrongCode    = "wrong code"
	ReasonReplay       = "replayed: the code's counter was already used"
	ReasonReplayRace   = "replayed: another request used the code first"
	ReasonLocked       = "locked"
	ReasonNowLocked    = "now locked"
	ReasonNoToken      = "no enabled token takes a code of this form"
	ReasonOutOfBand    = "the user's token sends its codes by email or SMS, which only the challenge style can carry (RADIUS challenge, OpenVPN crtext or crv1)"
	ReasonUnknownToken = "no token has the code's identifier"
	ReasonTooLong      = "code too long"
	ReasonCRC          = "OTP does not decrypt under the token's key (CRC)"
	ReasonPrivateID    = "wrong private ID"
)

// Audit actions.
const (
	actionVerify  = "verify"
	actionLogin   = "login" // a login refused by Request.Deny: the password, not the code
	actionResync  = "resync"
	actionUnlock  = "unlock"
	actionCurrent = "test"
)

// actorAdmin is the actor of admin operations.
const actorAdmin = "admin"

// auditVerify appends the outcome of a verification for tok (nil when no
// token was tried).
func (e *Engine) auditVerify(ctx context.Context, req Request, now time.Time, tok *store.Token, result, reason string) error {
	return e.audit(ctx, verifyEvent(req, now, tok, result, reason))
}

// verifyEvent is the audit event of a verification's outcome for tok (nil
// when no token was tried).
func verifyEvent(req Request, now time.Time, tok *store.Token, result, reason string) store.AuditEvent {
	action := actionVerify
	if req.Deny != "" {
		action = actionLogin
	}
	ev := store.AuditEvent{
		Time: now, Actor: req.Actor, Action: action, User: req.User,
		Result: result, Reason: reason, Source: req.Source,
	}
	if tok != nil {
		ev.User, ev.TokenID = tok.User, tok.ID
	}
	return ev
}

// auditAdmin appends an admin operation on tok.
func (e *Engine) auditAdmin(ctx context.Context, action string, tok *store.Token, result, reason string) error {
	return e.audit(ctx, store.AuditEvent{
		Time: e.now(), Actor: actorAdmin, Action: action, User: tok.User,
		TokenID: tok.ID, Result: result, Reason: reason,
	})
}

func (e *Engine) audit(ctx context.Context, ev store.AuditEvent) error {
	if err := e.st.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("engine: audit %s of user %q: %w", ev.Action, ev.User, err)
	}
	return nil
}
