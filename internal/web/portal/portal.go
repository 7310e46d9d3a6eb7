// Package portal is otpgate's web pages: the self-service portal, where a
// user signs in with the first factor (whatever [auth] primary is) and the
// second, enrolls a TOTP token by scanning a QR code and confirming one
// code, renames and removes their tokens and sees their recent logins; and
// the admin console, where admins search users, see each token's state as
// an enterprise OATH token manager shows it, unlock, disable, enable,
// resync, delete and invite, and read and export the audit trail.
//
// Use [New] and mount its handler at the root of package web's listener;
// [Invite] makes the one-time enrollment links of otpgate invite.
//
// # Pages
//
// Every page is rendered on the server with html/template; the stylesheet
// and every image are embedded in the binary. No page needs JavaScript, and
// none is sent. Forms post back to the page that shows them.
//
// # Security
//
// Sessions live in the store, so that several nodes share them; the store
// keeps only the SHA-256 of a session's cookie value. The cookie is
// __Host- prefixed, Secure, HttpOnly and SameSite=Strict, and a new value is
// issued whenever a session proves more (session fixation). Every form
// carries a token bound to the cookie (an HMAC of it), checked in constant
// time; a post whose Origin or Sec-Fetch-Site names another site is
// refused before it is read. Pages are sent with a Content-Security-Policy
// that allows nothing but the embedded stylesheet and data: images. A
// session ends after Idle without a request and after Lifetime whatever the
// activity. Sign-in goes through the login service as RADIUS and OpenVPN
// logins do, so the same lockout counts its failures. No secret is put in a
// URL but an invitation's, whose query the access log leaves out; every
// change is audited, an admin's with their name and address.
package portal

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web/portal/settings"
)

// Frontend names the portal in the audit trail.
const Frontend store.Actor = "web"

// Service is what the portal needs of the login service (package auth).
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

// Store is what the portal needs of the store.
type Store interface {
	store.WebSessions
	CreateUser(ctx context.Context, name string) (store.User, error)
	Users(ctx context.Context) ([]store.User, error)
	Token(ctx context.Context, id string) (store.Token, error)
	Tokens(ctx context.Context, user string) ([]store.Token, error)
	AddToken(ctx context.Context, t *store.Token) error
	UpdateToken(ctx context.Context, t *store.Token) error
	DeleteToken(ctx context.Context, id string) error
	Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Admin is what the console calls: package admin's functions, acting for
// one admin.
type Admin interface {
	Show(ctx context.Context, user, tokenID string) ([]admin.TokenInfo, error)
	Delete(ctx context.Context, user string) error
	DeleteToken(ctx context.Context, user, tokenID string) error
	SetEnabled(ctx context.Context, user, tokenID string, enabled bool) ([]string, error)
	Unlock(ctx context.Context, user, tokenID string) ([]string, error)
	Resync(ctx context.Context, user, code1, code2 string) (string, error)
}

// Config is what the portal serves with.
type Config struct {
	Store   Store
	Box     func() *secretbox.Box // the master key in use, at each request
	Service Service
	// Admin returns the admin functions acting as actor from source, for
	// the audit trail.
	Admin func(actor, source string) Admin
	// IsAdmin says whether a user may use the console; nil lets nobody.
	IsAdmin func(ctx context.Context, user string) (bool, error)
	// SelfEnroll is the enrollment policy; "" is settings.FirstTokenOnly.
	SelfEnroll settings.SelfEnroll
	// FirstFactor is false when the site has no first factor (primary =
	// "none"): a password proves nothing, so only a code signs in and a
	// user without a token enrolls only by invitation.
	FirstFactor bool
	Issuer      string   // of the otpauth URIs
	PublicURL   *url.URL // where users reach the portal; nil: each request's own host
	// Idle and Lifetime end a session; InviteTTL is how long an
	// invitation made in the console works. Zero takes the default.
	Idle, Lifetime, InviteTTL time.Duration
	Now                       func() time.Time // nil is time.Now
	Log                       *slog.Logger     // nil discards
}

// Portal serves the pages.
type Portal struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the portal's handler, to mount at the root of the web
// listener.
func New(c Config) *Portal {
	pages()
	if c.SelfEnroll == "" {
		c.SelfEnroll = settings.FirstTokenOnly
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Idle, settings.DefaultIdle)
	def(&c.Lifetime, settings.DefaultLifetime)
	def(&c.InviteTTL, settings.DefaultInviteTTL)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.IsAdmin == nil {
		c.IsAdmin = func(context.Context, string) (bool, error) { return false, nil }
	}
	p := &Portal{cfg: c, log: c.Log, mux: http.NewServeMux()}
	p.routes()
	return p
}

// ServeHTTP implements http.Handler.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	p.withSession(p.sameSite(p.mux)).ServeHTTP(w, r)
}

// Purge deletes the sessions and invitations that have ended; the daemon
// calls it with its other housekeeping.
func (p *Portal) Purge(ctx context.Context) (int, error) {
	return p.cfg.Store.PurgeWeb(ctx, p.cfg.Now(), p.cfg.Idle)
}

func (p *Portal) routes() {
	m := p.mux
	m.HandleFunc("GET /static/{file}", serveStatic)
	m.HandleFunc("GET /{$}", p.home)
	m.HandleFunc("GET /signin", p.signinPage)
	m.HandleFunc("POST /signin", p.post(p.signin))
	m.HandleFunc("GET /signin/code", p.codePage)
	m.HandleFunc("POST /signin/code", p.post(p.signinCode))
	m.HandleFunc("POST /signout", p.post(p.signout))
	m.HandleFunc("GET /invite", p.invitePage)
	m.HandleFunc("POST /invite", p.post(p.acceptInvite))
	m.HandleFunc("POST /enroll", p.post(p.startEnroll))
	m.HandleFunc("GET /enroll", p.enrollPage)
	m.HandleFunc("POST /enroll/confirm", p.post(p.confirmEnroll))
	m.HandleFunc("POST /enroll/cancel", p.post(p.cancelEnroll))
	m.HandleFunc("POST /tokens/{id}/rename", p.post(p.renameToken))
	m.HandleFunc("GET /tokens/{id}/remove", p.removePage)
	m.HandleFunc("POST /tokens/{id}/remove", p.post(p.removeToken))
	p.consoleRoutes()
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, http.StatusNotFound, "There is no such page.")
	})
}
