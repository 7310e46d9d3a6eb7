package engine

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// ErrUserGiven is returned by [Engine.VerifyAny] for a request that names a
// user: the caller must take the user from the result, never from the
// request, so a request may not say both.
var ErrUserGiven = errors.New("engine: VerifyAny takes no user (use Verify for a user's code, or leave Request.User empty)")

// VerifyAny verifies a code that names its token: a prefixed HOTP code (the
// token's identifier and 6 to 10 digits) or a Yubico OTP (the public ID and
// 32 modhex characters). On success Result.User is the token's user; the
// caller logs that user in. req.User must be empty.
func (e *Engine) VerifyAny(ctx context.Context, req Request) (Result, error) {
	if req.User != "" {
		return Result{}, ErrUserGiven
	}
	now := e.now()
	if len(req.Code) > MaxCodeLen {
		return e.refuseEarly(ctx, req, now, ReasonTooLong)
	}
	toks, err := e.tokensNamedBy(ctx, req.Code)
	if err != nil {
		return Result{}, err
	}
	if len(toks) == 0 {
		return e.refuseEarly(ctx, req, now, ReasonUnknownToken)
	}
	return e.decide(ctx, req, toks, now)
}

// tokensNamedBy finds the tokens whose identifier code starts with: a Yubico
// token whose public ID is all but the last 32 characters, and prefixed HOTP
// tokens whose identifier is all but the last 6 to 10 digits (the digit
// count must be the token's).
func (e *Engine) tokensNamedBy(ctx context.Context, code string) ([]store.Token, error) {
	var toks []store.Token
	add := func(ident string, ok func(*store.Token) bool) error {
		if ident == "" {
			return nil
		}
		t, err := e.st.TokenByIdentifier(ctx, ident)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("engine: find token by identifier: %w", err)
		}
		if ok(&t) {
			toks = append(toks, t)
		}
		return nil
	}
	if o, err := yubiotp.Parse(code); err == nil {
		isYubico := func(t *store.Token) bool { return t.Type == store.Yubico }
		if err := add(o.PublicID, isYubico); err != nil {
			return nil, err
		}
	}
	for d := otp.MinDigits; d <= otp.MaxDigits && d < len(code); d++ {
		if !digitsOnly(code[len(code)-d:]) {
			break
		}
		prefixed := func(t *store.Token) bool { return t.Type == store.HOTPPrefixed && t.Params.Digits == d }
		if err := add(code[:len(code)-d], prefixed); err != nil {
			return nil, err
		}
	}
	return toks, nil
}
