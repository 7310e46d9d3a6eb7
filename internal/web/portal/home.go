package portal

import (
	"context"
	"net/http"
	"slices"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web/portal/settings"
)

// recentLogins is how many of a user's logins the portal shows.
const recentLogins = 10

// loginActions are the audit trail's actions of a login attempt: a code's
// verification and a refused password.
var loginActions = []store.Action{store.ActionVerify, store.ActionLogin}

type homeData struct {
	Stage    string
	CanEnrol bool
	Tokens   []store.Token
	Logins   []store.AuditEvent
	Policy   settings.SelfEnroll
	Last     bool // the user has one token, which may not be removed
}

// home is the portal's start: the user's tokens and recent logins, or what
// to do next.
func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	switch {
	case v.sess == nil:
		redirect(w, r, "/signin")
		return
	case v.sess.Stage == stageCode:
		redirect(w, r, "/signin/code")
		return
	case v.st.Pending != nil:
		redirect(w, r, "/enroll")
		return
	}
	d, err := p.homeData(r.Context(), v)
	if err != nil {
		p.storeFailed(w, r, "portal home", err)
		return
	}
	p.render(w, r, http.StatusOK, "home", page{Title: "Your tokens", Nav: "portal", Data: d})
}

func (p *Portal) homeData(ctx context.Context, v *visit) (homeData, error) {
	d := homeData{Stage: v.sess.Stage, CanEnrol: p.mayEnroll(v), Policy: p.cfg.SelfEnroll}
	var err error
	if d.Tokens, err = p.cfg.Store.Tokens(ctx, v.sess.User); err != nil {
		return d, err
	}
	d.Last = len(d.Tokens) == 1
	if v.sess.Stage == stageFull {
		d.Logins, err = p.logins(ctx, v.sess.User)
	}
	return d, err
}

// logins returns the user's latest login attempts from the audit trail.
func (p *Portal) logins(ctx context.Context, user string) ([]store.AuditEvent, error) {
	es, err := p.cfg.Store.Audit(ctx, store.AuditFilter{User: user, Limit: 20 * recentLogins})
	if err != nil {
		return nil, err
	}
	out := make([]store.AuditEvent, 0, recentLogins)
	for _, e := range es {
		if slices.Contains(loginActions, e.Action) && len(out) < recentLogins {
			out = append(out, e)
		}
	}
	return out, nil
}

// mayEnroll says whether v's session may enroll a token now: with an
// invitation; after the first factor, for a user who had no token, unless
// the policy is never or there is no first factor; after the second, when
// the policy is always.
func (p *Portal) mayEnroll(v *visit) bool {
	switch v.sess.Stage {
	case stageInvited:
		return true
	case stagePassword:
		return p.cfg.FirstFactor && p.cfg.SelfEnroll != settings.Never
	case stageFull:
		return p.cfg.SelfEnroll == settings.Always
	}
	return false
}
