// Package engine decides whether a one-time password is accepted: HOTP
// (RFC 4226), TOTP (RFC 6238), prefixed HOTP and Yubico OTP, with the
// verification policy of an enterprise OATH token manager (windows, replay,
// lockout, resync). Every front end (OpenVPN, RADIUS, the CLI) calls it, so
// its behaviour is the product's.
//
// Use [New] with a store, the secret box that opens token secrets, a
// [Policy] (start from [DefaultPolicy]) and a clock, then [Engine.Verify]
// for a user and code, or [Engine.VerifyAny] for a prefixed HOTP or Yubico
// OTP code that names its own token. Admins call [Engine.Resync],
// [Engine.Unlock] and [Engine.Current]. Tokens are created with package
// enroll.
//
// # Rules
//
//   - HOTP accepts counters Next to Next+HOTPWindow-1, where Next is one past
//     the last accepted counter (RFC 4226 section 7.4, the seed's moving
//     window). TOTP accepts the steps within TOTPBack and TOTPForward of the
//     current step plus the token's drift (RFC 6238 section 5.2). Neither
//     ever accepts a counter below Next, and when a code matches two
//     counters the highest is recorded, so no code is accepted twice.
//   - Prefixed HOTP codes are the token's identifier followed by the code,
//     both checked, in constant time. Yubico OTPs must decrypt under the
//     token's AES key with a good CRC, carry the token's private ID, and a
//     counter (usage<<8 | session) of at least Next.
//   - A success is recorded, with its audit event, by one conditional write
//     of the store ([store.Store.CommitSuccess]) that also requires the
//     token to be enabled and not locked at that moment; if it changes
//     nothing, another request used the code first (a replay) or failures
//     locked the token meanwhile, and the code is refused. No replay or
//     lockout state is kept in memory, so any number of processes and
//     nodes may share a store.
//   - Within a process, one code at a time is checked against a token
//     (gate.go): a burst of guesses queues, and each guess reads the token
//     again when its turn comes, so it sees the failures and the lock the
//     guesses before it left.
//   - A token is tried only if it is enabled and the code has its form (the
//     digit count, the identifier, the Yubico public ID). When no tried token
//     accepts the code, each tried token counts a failure; the MaxFailures-th
//     failure in a row locks it until now+LockFor (0: until an admin
//     unlocks). Replays count as failures: a replayed code is either an
//     attacker holding an old code or a client resubmitting one, and neither
//     will succeed by retrying. The count is reset only by a success or an
//     unlock, so after a lock expires the next failure locks again.
//   - A locked token is still checked, but never accepts: the caller sees
//     exactly what a wrong code gives, with the same store writes and so
//     the same delay. An attempt on a locked token counts as a failure and
//     restarts the lock. Only the audit trail and [Result.Reason] say
//     "locked".
//   - A user with no enabled token is checked against a dummy token and its
//     failure counted against the name, so that refusing a name nobody
//     enrolled costs what refusing a real user costs. A request with Deny
//     set (the password was wrong) is checked as usual and refused, counting
//     its failure like a wrong code; [Engine.Refuse] counts a wrong password
//     that came without a code (deny.go).
//   - The login policy narrows a request: Request.Types limits the token
//     types tried, and
//     Request.Recovery lets one of the user's recovery codes (package
//     recovery) stand in for a code that no token accepted. A recovery code
//     is tried only for a user with an allowed token, none of them locked;
//     a wrong one counts a failure on each allowed token, as a wrong code
//     does, and a right one is spent by the store's conditional update.
//   - Every outcome is appended to the audit trail, in the same transaction
//     as the outcome, with the user, token, result, reason and source,
//     never the code.
//
// Codes are used as given: the engine does not trim or reformat them, except
// that Yubico OTPs are read case-insensitively.
//
// An Engine is safe for concurrent use.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// MaxCodeLen bounds a code; longer input is refused before any work.
const MaxCodeLen = 128

// Engine verifies codes against the tokens in a store.
type Engine struct {
	st   store.Store
	box  *secretbox.Box
	pol  Policy
	now  func() time.Time
	gate *gate
	// dummy is checked for a user with no enabled token (deny.go).
	dummy store.Token
}

// New returns an engine. pol must be valid ([Policy.Validate]); New panics
// otherwise, since configuration parsing validates it first. now is the
// clock, time.Now in production.
func New(st store.Store, box *secretbox.Box, pol Policy, now func() time.Time) *Engine {
	if err := pol.Validate(); err != nil {
		panic(err)
	}
	return &Engine{st: st, box: box, pol: pol, now: now, gate: newGate(), dummy: newDummy(box)}
}

// Request is one login attempt.
type Request struct {
	User   string      // empty for [Engine.VerifyAny]
	Code   string      // as the user typed it; never logged
	Source string      // the client: address, NAS, tty; for the audit trail
	Actor  store.Actor // the front end, or the admin command; for the audit trail
	// Types, when not nil, are the only token types tried (a policy
	// rule's token_types); a token of another type is passed over like a
	// disabled one.
	Types []store.TokenType
	// Recovery lets one of the user's recovery codes stand in for a code
	// that no token accepts (recovery.go).
	Recovery bool
	// Deny, when set, refuses the code whatever it is, with Deny as the
	// reason: the code is checked as usual and each token it fits counts a
	// failure, so that the refusal costs what a wrong code's does (deny.go).
	// The login service sets it when the password was wrong, and when a
	// policy rule refuses the login.
	Deny string
}

// Result is the outcome of a verification. A refusal looks the same to the
// caller whatever its cause: only Reason differs.
type Result struct {
	OK      bool
	User    string // the user; from the token for VerifyAny, and then only on success
	TokenID string // the token that accepted the code; empty on refusal
	// Reason says why a code was refused, for logs and the audit trail. It
	// must never reach the client: "locked" or "replayed" would tell an
	// attacker more than "refused".
	Reason string
}

// Verify checks req.Code against every enabled token of req.User. An error
// means the store, the audit trail or a sealed secret failed; the caller must
// then refuse (the code may have been used up).
func (e *Engine) Verify(ctx context.Context, req Request) (Result, error) {
	now := e.now()
	if len(req.Code) > MaxCodeLen {
		return e.refuseEarly(ctx, req, now, ReasonTooLong)
	}
	toks, err := e.userTokens(ctx, req.User)
	if err != nil {
		return Result{}, err
	}
	if !hasEnabled(allowed(req, toks)) {
		return e.verifyDummy(ctx, req, now, untried(allowed(req, toks)))
	}
	return e.decide(ctx, req, toks, now)
}

// userTokens returns user's tokens; an unknown user has none.
func (e *Engine) userTokens(ctx context.Context, user string) ([]store.Token, error) {
	toks, err := e.st.Tokens(ctx, user)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("engine: tokens of user %q: %w", user, err)
	}
	return toks, nil
}

// refuseEarly refuses a code before any token is tried.
func (e *Engine) refuseEarly(ctx context.Context, req Request, now time.Time, reason string) (Result, error) {
	if err := e.audit(ctx, verifyEvent(req, now, nil, store.ResultFail, reason)); err != nil {
		return Result{}, err
	}
	return Result{User: req.User, Reason: reason}, nil
}

// decide takes the turns of toks' enabled tokens (gate.go), reading them
// again if it had to wait, and tries them.
func (e *Engine) decide(ctx context.Context, req Request, toks []store.Token, now time.Time) (Result, error) {
	var buf [4]string // most users have one token, few more than four
	ids := gated(buf[:0], toks)
	waited, err := e.gate.enter(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	defer e.gate.leave(ids)
	if waited {
		if toks, err = e.reread(ctx, toks); err != nil {
			return Result{}, err
		}
		now = e.now()
	}
	return e.try(ctx, req, toks, now)
}

// try checks the code against each enabled token in toks and commits the
// first that accepts it; if none does, it counts failures.
func (e *Engine) try(ctx context.Context, req Request, toks []store.Token, now time.Time) (Result, error) {
	var tried []attempt
	for i := range toks {
		t := &toks[i]
		if !t.Enabled || !req.allows(t.Type) {
			continue
		}
		a, err := e.check(t, req.Code, now)
		if err != nil {
			return Result{}, err
		}
		if !a.fits {
			continue
		}
		deny(req, &a)
		if a.match {
			ok, err := e.commit(ctx, req, &a, now)
			if ok || err != nil {
				return Result{OK: ok, User: t.User, TokenID: t.ID}, err
			}
		}
		tried = append(tried, a)
	}
	res, done, tried, err := e.recover(ctx, req, toks, tried, now)
	if done || err != nil {
		return res, err
	}
	if len(tried) == 0 {
		return e.refuseEarly(ctx, req, now, untried(allowed(req, toks)))
	}
	return e.refuse(ctx, req, tried, now)
}

// untried is the reason for refusing a code no token of toks was tried
// with.
func untried(toks []store.Token) string {
	enabled := func(t store.Token) bool { return t.Enabled }
	// An email or SMS token's code is one this login (which asked for no
	// code to be sent) cannot carry.
	outOfBand := func(t store.Token) bool { return t.Enabled && t.Type.OutOfBand() }
	switch {
	case len(toks) == 0:
		return ReasonNoToken
	case !slices.ContainsFunc(toks, enabled):
		return ReasonDisabled
	case slices.ContainsFunc(toks, outOfBand):
		return ReasonOutOfBand
	}
	return ReasonNoFit
}

// refuse counts a failure on every tried token, audits each, and returns the
// refusal.
func (e *Engine) refuse(ctx context.Context, req Request, tried []attempt, now time.Time) (Result, error) {
	res := Result{User: req.User}
	for i := range tried {
		a := &tried[i]
		if err := e.fail(ctx, req, a, now); err != nil {
			return Result{}, err
		}
		res.Reason = joinReason(res.Reason, a.reason)
	}
	return res, nil
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
