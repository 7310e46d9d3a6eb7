package engine

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// Resync errors.
var (
	ErrNoResyncToken = errors.New("engine: resync: no enabled HOTP or TOTP token to resync (Yubico OTP tokens need none)")
	ErrResyncNoMatch = errors.New("engine: resync: the codes are not two consecutive unused codes of a token within the resync window (enter two codes in a row, the second right after the first)")
	ErrResyncLocked  = errors.New("engine: resync: the token is locked (unlock it first: resync does not unlock)")
)

// ResyncRequest names the token to resync and the two codes it showed, one
// after the other.
type ResyncRequest struct {
	User    string // search every enabled HOTP and TOTP token of User
	TokenID string // or only this token (User, if given, must own it)
	Code1   string // for a prefixed HOTP token, with or without its identifier
	Code2   string
}

// Resync finds two consecutive codes: for HOTP, at counters from Next to
// Next+ResyncWindow; for TOTP, at steps up to ResyncWindow either side of
// now, never below Next. It moves Next past the second code and, for TOTP,
// stores the drift from the clock to the second code's step, which later
// verifications apply. It returns the token's ID; an error wrapping
// [ErrNoResyncToken] or [ErrResyncNoMatch] when nothing was found, or
// [ErrResyncLocked] for the codes of a locked token: Resync commits like a
// success, which a lock refuses, and does not unlock.
func (e *Engine) Resync(ctx context.Context, r ResyncRequest) (tokenID string, err error) {
	toks, err := e.resyncTokens(ctx, r)
	if err != nil {
		return "", err
	}
	now := e.now()
	for i := range toks {
		t := &toks[i]
		ok, err := e.resyncToken(ctx, t, r, now)
		if ok || err != nil {
			return t.ID, err
		}
	}
	for i := range toks {
		if err := e.audit(ctx, e.adminEvent(store.ActionResync, &toks[i], store.ResultFail, "codes not found")); err != nil {
			return "", err
		}
	}
	return "", ErrResyncNoMatch
}

// resyncToken resyncs t if the codes are its; false if they are not.
func (e *Engine) resyncToken(ctx context.Context, t *store.Token, r ResyncRequest, now time.Time) (bool, error) {
	next, drift, ok, err := e.findPair(t, r.Code1, r.Code2, now)
	if !ok || err != nil {
		return false, err
	}
	reason := fmt.Sprintf("next counter %d, drift %d", next, drift)
	c, err := e.st.CommitSuccess(ctx, store.Success{TokenID: t.ID, Next: next, Drift: drift, Now: now,
		Event: e.adminEvent(store.ActionResync, t, store.ResultOK, reason)})
	if err != nil {
		return false, fmt.Errorf("engine: resync token %s: %w", t.ID, err)
	}
	switch c {
	case store.Committed:
		return true, nil
	case store.Locked:
		return false, fmt.Errorf("%w (token %s)", ErrResyncLocked, t.ID)
	}
	return false, nil // a verification used the codes meanwhile, or an admin disabled the token
}

// resyncTokens returns the tokens r may resync.
func (e *Engine) resyncTokens(ctx context.Context, r ResyncRequest) ([]store.Token, error) {
	if r.TokenID == "" {
		toks, err := e.st.Tokens(ctx, r.User)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("engine: resync: tokens of user %q: %w", r.User, err)
		}
		toks = oathTokens(toks)
		if len(toks) == 0 {
			return nil, fmt.Errorf("%w (user %q)", ErrNoResyncToken, r.User)
		}
		return toks, nil
	}
	t, err := e.st.Token(ctx, r.TokenID)
	if err != nil {
		return nil, fmt.Errorf("engine: resync token %s: %w", r.TokenID, err)
	}
	if r.User != "" && t.User != r.User {
		return nil, fmt.Errorf("engine: resync: token %s is not a token of user %q", t.ID, r.User)
	}
	toks := oathTokens([]store.Token{t})
	if len(toks) == 0 {
		return nil, fmt.Errorf("%w (token %s is disabled or a Yubico OTP token)", ErrNoResyncToken, t.ID)
	}
	return toks, nil
}

// oathTokens returns the enabled HOTP and TOTP tokens of toks.
func oathTokens(toks []store.Token) []store.Token {
	var out []store.Token
	for _, t := range toks {
		if t.Enabled && t.Type != store.Yubico && !t.Type.OutOfBand() {
			out = append(out, t)
		}
	}
	return out
}

// findPair searches t's resync window for code1 and code2 at consecutive
// counters c and c+1, and returns the Next and Drift to commit.
func (e *Engine) findPair(t *store.Token, code1, code2 string, now time.Time) (next, drift int64, ok bool, err error) {
	if err := validParams(t); err != nil {
		return 0, 0, false, err
	}
	code1, code2 = bareCode(t, code1), bareCode(t, code2)
	if len(code1) != t.Params.Digits || len(code2) != t.Params.Digits {
		return 0, 0, false, nil
	}
	key, err := e.openSecret(t)
	if err != nil {
		return 0, 0, false, err
	}
	defer clear(key)
	w := uint64(e.pol.ResyncWindow)
	if t.Type != store.TOTP {
		c, ok := consecutive(key, code1, code2, nextOf(t), nextOf(t)+w-1, t.Params)
		return int64(c) + 2, t.Drift, ok, nil
	}
	center := t.Params.Step(now)
	lo, hi := otp.Window(center, w, w)
	s, ok := consecutive(key, code1, code2, max(lo, nextOf(t)), hi, t.Params)
	return int64(s) + 2, int64(s+1) - int64(center), ok, nil
}

// bareCode strips a prefixed HOTP token's identifier from code.
func bareCode(t *store.Token, code string) string {
	if t.Type == store.HOTPPrefixed && len(code) == len(t.Identifier)+t.Params.Digits &&
		subtle.ConstantTimeCompare([]byte(code[:len(t.Identifier)]), []byte(t.Identifier)) == 1 {
		return code[len(t.Identifier):]
	}
	return code
}

// consecutive returns the highest c from lo to hi whose code is code1 and
// whose successor's code is code2, comparing every pair in constant time.
func consecutive(key []byte, code1, code2 string, lo, hi uint64, p otp.Params) (uint64, bool) {
	var (
		found uint64
		ok    bool
	)
	c1, c2 := []byte(code1), []byte(code2)
	prev := []byte(otp.Generate(key, lo, p))
	for c := lo; c <= hi; c++ {
		cur := []byte(otp.Generate(key, c+1, p))
		if subtle.ConstantTimeCompare(prev, c1)&subtle.ConstantTimeCompare(cur, c2) == 1 {
			found, ok = c, true
		}
		prev = cur
	}
	return found, ok
}
