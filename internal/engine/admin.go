package engine

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// ErrNoCurrentCode is returned by [Engine.Current] for a Yubico OTP token:
// its codes come from counters and a timestamp that only the key has.
var ErrNoCurrentCode = errors.New("engine: Yubico OTP tokens have no server-side code (touch the key instead)")

// Unlock clears a token's failure count and lock. An unknown token is an
// error wrapping [store.ErrNotFound].
func (e *Engine) Unlock(ctx context.Context, tokenID string) error {
	t, err := e.st.Token(ctx, tokenID)
	if err != nil {
		return fmt.Errorf("engine: unlock token %s: %w", tokenID, err)
	}
	if err := e.st.Unlock(ctx, tokenID); err != nil {
		return fmt.Errorf("engine: unlock token %s: %w", tokenID, err)
	}
	return e.audit(ctx, e.adminEvent(store.ActionUnlock, &t, store.ResultOK, ""))
}

// Current returns the code the token shows now, without consuming it, for
// an admin testing a token (the seed's "Generate Token" button): a TOTP
// token's code at now plus its drift, an HOTP token's code at Next, with the
// identifier before it for a prefixed token. The code may already be used
// (a TOTP step that was accepted), and then Verify refuses it.
func (e *Engine) Current(ctx context.Context, tokenID string) (string, error) {
	t, err := e.st.Token(ctx, tokenID)
	if err != nil {
		return "", fmt.Errorf("engine: current code of token %s: %w", tokenID, err)
	}
	if t.Type == store.Yubico || t.Type.OutOfBand() {
		return "", ErrNoCurrentCode
	}
	if err := validParams(&t); err != nil {
		return "", err
	}
	key, err := e.openSecret(&t)
	if err != nil {
		return "", err
	}
	defer clear(key)
	var code string
	switch t.Type {
	case store.TOTP:
		code = otp.Generate(key, tokenStep(&t, e.now()), t.Params)
	case store.HOTPPrefixed:
		code = t.Identifier + otp.Generate(key, nextOf(&t), t.Params)
	default:
		code = otp.Generate(key, nextOf(&t), t.Params)
	}
	return code, e.audit(ctx, e.adminEvent(store.ActionTest, &t, store.ResultOK, "current code shown"))
}
