package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// Equal work. How long a refusal takes must not tell an attacker whether a
// user exists or whether the password was right (issue 12 item 9).
//
//   - A user with no enabled token (unknown, or disabled) is checked
//     against a dummy token: a TOTP token of the default parameters whose
//     secret is random and sealed like a real one, so that the code is
//     opened and hashed as a real token's would be. Its failure is counted
//     against the name ([store.NameSubject]), one upsert and the audit event
//     in one write, as a real token's failure is one update and its event.
//     The dummy never accepts, not even a code that happens to match it.
//   - [Request.Deny] refuses a code after checking it as usual, and counts
//     the failure on each token the code fits: the login service sets it
//     when the password was wrong, so that a wrong password costs what a
//     wrong code costs and counts toward the same lockout.

// dummyID is the dummy token's ID; no real token has it (they are
// rand.Text, 26 base32 characters).
const dummyID = "dummy"

// nameMemory is how long the failures of a name without a token are
// counted and how long its lock lasts: long enough to be one write like a
// token's, short enough that guessed names do not pile up in the store.
const nameMemory = 15 * time.Minute

// newDummy returns the dummy token, its secret sealed by box.
func newDummy(box *secretbox.Box) store.Token {
	secret := make([]byte, 20)
	rand.Read(secret)
	defer clear(secret)
	return store.Token{ID: dummyID, Type: store.TOTP, Enabled: true, Params: otp.DefaultParams(),
		Secret: box.Seal(secret, secretbox.AAD(dummyID, enroll.ColumnSecret))}
}

// hasEnabled reports whether any of toks is enabled.
func hasEnabled(toks []store.Token) bool {
	for i := range toks {
		if toks[i].Enabled {
			return true
		}
	}
	return false
}

// verifyDummy refuses req, for a user with no enabled token, after checking
// its code against the dummy token; reason says which: no token, or only
// disabled ones.
func (e *Engine) verifyDummy(ctx context.Context, req Request, now time.Time, reason string) (Result, error) {
	dummy := e.dummy
	a, err := e.check(&dummy, req.Code, now)
	if err != nil {
		return Result{}, err
	}
	if !a.fits {
		return e.refuseEarly(ctx, req, now, reason)
	}
	return e.failName(ctx, req, now, reason)
}

// failName counts a failure against req.User's name and audits it with
// reason, in one write.
func (e *Engine) failName(ctx context.Context, req Request, now time.Time, reason string) (Result, error) {
	ev := verifyEvent(req, now, nil, store.ResultFail, reason)
	l := store.LoginLimit{MaxFailures: e.pol.MaxFailures, Remember: nameMemory, LockFor: nameMemory}
	if _, err := e.st.RecordLoginFailure(ctx, store.NameSubject(req.User), now, l, &ev); err != nil {
		return Result{}, fmt.Errorf("engine: record failure of user %q: %w", req.User, err)
	}
	return Result{User: req.User, Reason: reason}, nil
}

// deny turns a checked attempt into a refusal with req.Deny as its reason,
// unless the token is locked, which says so instead.
func deny(req Request, a *attempt) {
	if req.Deny == "" || a.outcome == store.ResultLocked {
		return
	}
	a.match, a.outcome, a.reason = false, store.ResultFail, req.Deny
}

// Refuse records a login that was refused before it gave a code (a wrong
// password in the challenge style, where the code would come second): a
// failure with req.Deny as its reason on each enabled token of req.User, or
// on the name when it has none. It is the lockout's count of wrong
// passwords where [Request.Deny] cannot carry it.
func (e *Engine) Refuse(ctx context.Context, req Request) (Result, error) {
	if req.Deny == "" {
		return Result{}, fmt.Errorf("engine: Refuse without a reason (Request.Deny)")
	}
	now := e.now()
	toks, err := e.userTokens(ctx, req.User)
	if err != nil {
		return Result{}, err
	}
	var tried []attempt
	for i := range toks {
		t := &toks[i]
		if !t.Enabled {
			continue
		}
		a := refused(store.ResultFail, req.Deny)
		if a.tok = t; t.Locked(now) {
			a.outcome, a.reason = store.ResultLocked, ReasonLocked
		}
		tried = append(tried, a)
	}
	if len(tried) == 0 {
		return e.failName(ctx, req, now, req.Deny)
	}
	return e.refuse(ctx, req, tried, now)
}
