// Package admin is the logic behind otpgate's token-server admin commands
// (enroll, list, show, delete, enable, disable, unlock, resync, verify, test):
// it selects a user's tokens and calls packages enroll and engine on an
// opened site (package site), recording every change in the audit trail.
// Output types carry no secret except [Enrolled], which exists to show a new
// token's secret once.
//
// Open the site with site.Site.Open, then use [New] and the methods of
// [Admin], and Close it.
package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// Actor names the admin commands in the audit trail, as the engine names
// the admin operations it audits.
const Actor = store.ActorAdmin

// ErrNoUser is returned for a user the store does not know.
var ErrNoUser = errors.New("admin: no such user")

// ErrNoToken is returned for a token ID the store does not know, or that
// belongs to another user than the one named.
var ErrNoToken = errors.New("admin: no token")

// Admin runs admin operations on one store. It is not meant for concurrent
// use by several goroutines, though the store itself would allow it.
type Admin struct {
	st  store.Store
	box *secretbox.Box
	eng *engine.Engine
	now func() time.Time
	// actor and source are who acts, for the audit trail: Actor and none
	// for the command line, the HTTPS front end and its caller for the
	// admin API.
	actor  store.Actor
	source string
	oob    *oob.Settings // for SendTests; nil when the site has none (UseOOB)
}

// New returns an Admin on the opened site h, whose logins (verify, resync)
// follow pol. It owns h: Close closes it. now is the clock.
func New(h *site.Handle, pol engine.Policy, now func() time.Time) *Admin {
	return &Admin{st: h.Store, box: h.Box, eng: engine.New(h.Store, h.Box, pol, now), now: now, actor: Actor}
}

// As returns a copy of a whose changes are audited as made by actor from
// source (the admin API's front end and caller).
func (a *Admin) As(actor store.Actor, source string) *Admin {
	b := *a
	b.actor, b.source = actor, source
	return &b
}

// Close releases the store.
func (a *Admin) Close() error { return a.st.Close() }

// tokens returns the tokens an operation applies to: the token tokenID when
// it is given (owned by user, if user is given too), else every token of user.
func (a *Admin) tokens(ctx context.Context, user, tokenID string) ([]store.Token, error) {
	if tokenID != "" {
		t, err := a.st.Token(ctx, tokenID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && user != "" && t.User != user) {
			return nil, fmt.Errorf("%w %q%s", ErrNoToken, tokenID, ofUser(user))
		}
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		return []store.Token{t}, nil
	}
	if _, err := a.user(ctx, user); err != nil {
		return nil, err
	}
	ts, err := a.st.Tokens(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("admin: tokens of user %q: %w", user, err)
	}
	return ts, nil
}

func ofUser(user string) string {
	if user == "" {
		return ""
	}
	return fmt.Sprintf(" of user %q", user)
}

func (a *Admin) user(ctx context.Context, name string) (store.User, error) {
	u, err := a.st.User(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("%w %q", ErrNoUser, name)
	}
	if err != nil {
		return u, fmt.Errorf("admin: user %q: %w", name, err)
	}
	return u, nil
}

// audit records an admin change made outside the engine.
func (a *Admin) audit(ctx context.Context, action store.Action, user, tokenID string) error {
	err := a.st.AppendAudit(ctx, store.AuditEvent{
		Time: a.now(), Actor: a.actor, Action: action, User: user, TokenID: tokenID, Result: store.ResultOK, Source: a.source,
	})
	if err != nil {
		return fmt.Errorf("admin: audit %s of user %q: %w", action, user, err)
	}
	return nil
}
