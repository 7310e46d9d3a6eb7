package admin

import (
	"context"
	"fmt"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// List returns every user with a summary of each token, ordered by name.
func (a *Admin) List(ctx context.Context) ([]UserSummary, error) {
	users, err := a.st.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: list users: %w", err)
	}
	now := a.now()
	out := make([]UserSummary, 0, len(users))
	for _, u := range users {
		ts, err := a.st.Tokens(ctx, u.Name)
		if err != nil {
			return nil, fmt.Errorf("admin: tokens of user %q: %w", u.Name, err)
		}
		us := UserSummary{User: u.Name, Tokens: make([]TokenSummary, 0, len(ts))}
		for i := range ts {
			us.Tokens = append(us.Tokens, summary(&ts[i], now))
		}
		out = append(out, us)
	}
	return out, nil
}

// Show returns every property of each token of user, or of the one token
// tokenID when it is given.
func (a *Admin) Show(ctx context.Context, user, tokenID string) ([]TokenInfo, error) {
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := make([]TokenInfo, 0, len(ts))
	for i := range ts {
		ti := info(&ts[i], now)
		if ts[i].Type.OutOfBand() {
			if ti.OOB, err = a.oobInfo(ctx, &ts[i]); err != nil {
				return nil, err
			}
		}
		out = append(out, ti)
	}
	return out, nil
}

// Delete removes user with every token.
func (a *Admin) Delete(ctx context.Context, user string) error {
	if _, err := a.user(ctx, user); err != nil {
		return err
	}
	if err := a.st.DeleteUser(ctx, user); err != nil {
		return fmt.Errorf("admin: delete user %q: %w", user, err)
	}
	return a.audit(ctx, store.ActionDelete, user, "")
}

// DeleteToken removes the one token tokenID of user, keeping the user and
// any other token.
func (a *Admin) DeleteToken(ctx context.Context, user, tokenID string) error {
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return err
	}
	if err := a.st.DeleteToken(ctx, ts[0].ID); err != nil {
		return fmt.Errorf("admin: delete token %s: %w", ts[0].ID, err)
	}
	return a.audit(ctx, store.ActionDeleteToken, user, ts[0].ID)
}

// SetEnabled enables or disables the tokens selected by user and tokenID
// (see [Admin.Show]) and returns their IDs.
func (a *Admin) SetEnabled(ctx context.Context, user, tokenID string, enabled bool) ([]string, error) {
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return nil, err
	}
	action := store.ActionDisable
	if enabled {
		action = store.ActionEnable
	}
	ids := make([]string, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		t.Enabled = enabled
		if err := a.st.UpdateToken(ctx, t); err != nil {
			return ids, fmt.Errorf("admin: %s token %s: %w", action, t.ID, err)
		}
		if err := a.audit(ctx, action, t.User, t.ID); err != nil {
			return ids, err
		}
		ids = append(ids, t.ID)
	}
	return ids, nil
}

// Unlock clears the failure count and lock of the selected tokens and returns
// their IDs.
func (a *Admin) Unlock(ctx context.Context, user, tokenID string) ([]string, error) {
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ts))
	for i := range ts {
		if err := a.eng.Unlock(ctx, ts[i].ID); err != nil {
			return ids, err
		}
		ids = append(ids, ts[i].ID)
	}
	return ids, nil
}

// Resync moves the user's token that showed code1 then code2 past code2
// (engine.Engine.Resync) and returns its ID.
func (a *Admin) Resync(ctx context.Context, user, code1, code2 string) (string, error) {
	if _, err := a.user(ctx, user); err != nil {
		return "", err
	}
	return a.eng.Resync(ctx, engine.ResyncRequest{User: user, Code1: code1, Code2: code2})
}

// Verify is a test login: it checks code against the user's tokens through
// the engine, with every effect of a real login (the code is used up,
// failures count).
func (a *Admin) Verify(ctx context.Context, user, code, source string) (engine.Result, error) {
	user, err := username.Canonical(user)
	if err != nil {
		return engine.Result{}, err
	}
	if _, err := a.user(ctx, user); err != nil {
		return engine.Result{}, err
	}
	return a.eng.Verify(ctx, engine.Request{User: user, Code: code, Source: source, Actor: Actor})
}

// TokenCode is the code a token shows now.
type TokenCode struct {
	TokenID string `json:"id"`
	Code    string `json:"code"`
}

// Current returns the code each selected HOTP and TOTP token shows now
// (engine.Engine.Current), without using it up. Yubico OTP tokens are left
// out; selecting only those is an error.
func (a *Admin) Current(ctx context.Context, user, tokenID string) ([]TokenCode, error) {
	if user != "" {
		var err error
		if user, err = username.Canonical(user); err != nil {
			return nil, err
		}
	}
	ts, err := a.tokens(ctx, user, tokenID)
	if err != nil {
		return nil, err
	}
	var out []TokenCode
	for i := range ts {
		if ts[i].Type == store.Yubico || ts[i].Type.OutOfBand() {
			continue // no code to show: SendTests is their test
		}
		code, err := a.eng.Current(ctx, ts[i].ID)
		if err != nil {
			return nil, err
		}
		out = append(out, TokenCode{TokenID: ts[i].ID, Code: code})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no HOTP or TOTP token%s%s to make a code for", ErrNothingToTest, ofUser(user), ofToken(tokenID))
	}
	return out, nil
}

func ofToken(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (token %s)", id)
}
