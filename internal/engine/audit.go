package engine

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Reasons, for the audit trail and [Result.Reason]. None carries the code,
// and none may reach the client.
const (
	ReasonWrongCode         = "wrong code"
	ReasonReplay            = "replayed: the code's counter was already used"
	ReasonReplayRace        = "replayed: another request used the code first"
	ReasonLocked            = "locked"
	ReasonNowLocked         = "now locked"
	ReasonNoToken           = "the user has no token"
	ReasonDisabled          = "every token of the user is disabled"
	ReasonDisabledMeanwhile = "the token was disabled while the code was checked"
	ReasonNoFit             = "no enabled token takes a code of this form"
	ReasonOutOfBand         = "the user's token sends its codes by email or SMS, which only the challenge style can carry (RADIUS challenge, OpenVPN crtext or crv1)"
	ReasonUnknownToken      = "no token has the code's identifier"
	ReasonTooLong           = "code too long"
	ReasonCRC               = "OTP does not decrypt under the token's key (CRC)"
	ReasonPrivateID         = "wrong private ID"
)

// verifyEvent is the audit event of a verification's outcome for tok (nil
// when no token was tried).
func verifyEvent(req Request, now time.Time, tok *store.Token, result store.Result, reason string) store.AuditEvent {
	action := store.ActionVerify
	if req.Deny != "" {
		action = store.ActionLogin // refused for its password, not its code
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

// adminEvent is the audit event of an admin operation on tok.
func (e *Engine) adminEvent(action store.Action, tok *store.Token, result store.Result, reason string) store.AuditEvent {
	return store.AuditEvent{
		Time: e.now(), Actor: store.ActorAdmin, Action: action, User: tok.User,
		TokenID: tok.ID, Result: result, Reason: reason,
	}
}

// audit appends an event that is no outcome written by CommitSuccess or
// RecordFailure.
func (e *Engine) audit(ctx context.Context, ev store.AuditEvent) error {
	if err := e.st.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("engine: audit %s of user %q: %w", ev.Action, ev.User, err)
	}
	return nil
}
