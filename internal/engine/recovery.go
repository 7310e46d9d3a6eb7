package engine

import (
	"context"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
)

// Audit reasons of recovery codes and of the login policy.
const (
	ReasonRecovery      = "recovery code"
	ReasonWrongRecovery = "wrong recovery code"
)

// allows reports whether the request lets a token of type t give the code.
func (r Request) allows(t store.TokenType) bool {
	return r.Types == nil || slices.Contains(r.Types, t)
}

// allowed returns the tokens of toks whose type req allows.
func allowed(req Request, toks []store.Token) []store.Token {
	if req.Types == nil {
		return toks
	}
	var out []store.Token
	for _, t := range toks {
		if req.allows(t.Type) {
			out = append(out, t)
		}
	}
	return out
}

// recover tries code as one of the user's recovery codes once no token
// accepted it, if req allows recovery codes and does not deny the login
// (a wrong password), the code has the length of
// one, and none of the user's allowed tokens is locked (a lock stops
// guessing, recovery codes included). It reports whether it decided the
// login. When it did not, tried is what refuse counts failures on: a wrong
// recovery code that no token could have taken counts on every allowed
// token, so that guessing recovery codes meets the same lockout as
// guessing codes.
func (e *Engine) recover(ctx context.Context, req Request, toks []store.Token, tried []attempt, now time.Time) (Result, bool, []attempt, error) {
	allowed, locked := e.recoveryTokens(req, toks, now)
	if !req.Recovery || req.Deny != "" || req.User == "" || len(allowed) == 0 || locked {
		return Result{}, false, tried, nil
	}
	codes, err := e.st.RecoveryCodes(ctx, req.User)
	if err != nil || !slices.ContainsFunc(codes, func(c store.RecoveryCode) bool { return c.Digits == len(req.Code) }) {
		return Result{}, false, tried, err
	}
	ok, err := recovery.Verify(ctx, e.st, req.User, req.Code, now)
	if err != nil {
		return Result{}, false, tried, err
	}
	if ok {
		if err := e.audit(ctx, verifyEvent(req, now, nil, store.ResultOK, ReasonRecovery)); err != nil {
			return Result{}, false, tried, err
		}
		return Result{OK: true, User: req.User, Reason: ReasonRecovery}, true, tried, nil
	}
	if len(tried) == 0 {
		for _, t := range allowed {
			tried = append(tried, attempt{tok: t, fits: true, outcome: store.ResultFail, reason: ReasonWrongRecovery})
		}
	}
	return Result{}, false, tried, nil
}

// recoveryTokens returns the user's enabled tokens that req allows, and
// whether one of them is locked at now.
func (e *Engine) recoveryTokens(req Request, toks []store.Token, now time.Time) ([]*store.Token, bool) {
	var allowed []*store.Token
	locked := false
	for i := range toks {
		t := &toks[i]
		if t.Enabled && req.allows(t.Type) {
			allowed = append(allowed, t)
			locked = locked || t.Locked(now)
		}
	}
	return allowed, locked
}
