package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
	"otpgate.dev/otpgate/internal/web/portal/settings"
)

// InviteStore is what making an invitation needs of the store.
type InviteStore interface {
	PutWebInvite(ctx context.Context, inv *store.WebInvite) error
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Invitation is a one-time enrollment link, shown once.
type Invitation struct {
	User    string    `json:"user"`
	Link    string    `json:"link"`
	Expires time.Time `json:"expires"`
}

// Invite makes a one-time enrollment link for user at base (the portal's
// public address), valid for ttl from now, and audits it as made by actor
// from src. The store keeps only the SHA-256 of the link's secret. The
// link lets its holder enroll one token for user whatever the self_enroll
// policy, after the first factor when the site has one.
func Invite(ctx context.Context, st InviteStore, base *url.URL, user, actor, src string, ttl time.Duration, now time.Time) (Invitation, error) {
	if ttl < settings.MinInviteTTL || ttl > settings.MaxInviteTTL {
		return Invitation{}, fmt.Errorf("portal: an invitation's lifetime of %v is out of range (accepted: %v to %v)", ttl, settings.MinInviteTTL, settings.MaxInviteTTL)
	}
	user, err := username.Canonical(user)
	if err != nil {
		return Invitation{}, fmt.Errorf("portal: invite: %w", err)
	}
	secret := newValue()
	inv := &store.WebInvite{ID: hashID(secret), User: user, CreatedBy: actor, Created: now, Expires: now.Add(ttl)}
	if err := st.PutWebInvite(ctx, inv); err != nil {
		return Invitation{}, fmt.Errorf("portal: store the invitation: %w", err)
	}
	err = st.AppendAudit(ctx, store.AuditEvent{Time: now, Actor: store.Actor(actor), Action: "invite", User: user, Result: "ok",
		Reason: "valid until " + inv.Expires.UTC().Format(time.RFC3339), Source: src})
	if err != nil {
		return Invitation{}, fmt.Errorf("portal: audit the invitation: %w", err)
	}
	return Invitation{User: user, Link: inviteLink(base, secret), Expires: inv.Expires}, nil
}

// inviteLink puts secret in the query, which package web's access log
// leaves out; the page it opens posts it in a form, so a mail scanner that
// follows links uses nothing up.
func inviteLink(base *url.URL, secret string) string {
	u := *base
	u.Path, u.RawQuery = "/invite", url.Values{"code": {secret}}.Encode()
	return u.String()
}

type inviteData struct {
	Code        string
	FirstFactor bool
	Name        string
}

func (p *Portal) invitePage(w http.ResponseWriter, r *http.Request) {
	c := r.URL.Query().Get("code")
	if !validValue(c) {
		p.fail(w, r, http.StatusNotFound, "This enrollment link is not complete. Copy the whole link from your message.")
		return
	}
	p.render(w, r, http.StatusOK, "invite", page{Title: "Set up your token", Data: inviteData{Code: c, FirstFactor: p.cfg.FirstFactor}})
}

// acceptInvite checks the first factor, when the site has one, then uses
// the invitation up and starts a session that may enroll one token.
func (p *Portal) acceptInvite(w http.ResponseWriter, r *http.Request) {
	c := field(r, "code")
	d := inviteData{Code: c, FirstFactor: p.cfg.FirstFactor, Name: field(r, "user")}
	if !validValue(c) {
		p.fail(w, r, http.StatusNotFound, "This enrollment link is not complete. Copy the whole link from your message.")
		return
	}
	user := ""
	if p.cfg.FirstFactor {
		resp, err := p.cfg.Service.Authenticate(r.Context(), p.loginRequest(r, auth.Request{User: d.Name,
			Password: field(r, "password"), Style: auth.Challenge}))
		if err != nil {
			p.storeFailed(w, r, "portal invitation", err)
			return
		}
		if resp.Outcome != auth.ChallengeIssued {
			decided(r, "reject")
			p.render(w, r, http.StatusUnauthorized, "invite", page{Title: "Set up your token", Data: d,
				Error: "The user name or password is wrong, or the account is locked."})
			return
		}
		user = resp.Canonical
	}
	inv, err := p.cfg.Store.TakeWebInvite(r.Context(), hashID(c), p.cfg.Now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && user != "" && inv.User != user) {
		p.fail(w, r, http.StatusGone, "This enrollment link has been used, has expired, or is for someone else. Ask your administrator for a new one.")
		return
	}
	if err != nil {
		p.storeFailed(w, r, "portal invitation", err)
		return
	}
	if err := p.audit(r, "portal accept-invite", inv.User, "", ""); err != nil {
		p.storeFailed(w, r, "portal invitation", err)
		return
	}
	if err := p.begin(w, r, inv.User, stageInvited, state{}); err != nil {
		p.storeFailed(w, r, "portal invitation", err)
		return
	}
	redirect(w, r, "/")
}
