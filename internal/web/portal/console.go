package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
)

// maxUsers bounds a user list page.
const maxUsers = 200

func (p *Portal) consoleRoutes() {
	m := p.mux
	m.HandleFunc("GET /console", p.admins(p.users))
	m.HandleFunc("GET /console/users/{user}", p.admins(p.user))
	m.HandleFunc("GET /console/users/{user}/delete", p.admins(p.deletePage))
	m.HandleFunc("GET /console/audit", p.admins(p.auditPage))
	m.HandleFunc("GET /console/audit.csv", p.admins(p.auditCSV))
	for action, h := range map[string]consoleAction{
		"unlock": p.unlock, "disable": p.setEnabled(false), "enable": p.setEnabled(true), "resync": p.resync,
		"delete-token": p.deleteToken, "delete": p.deleteUser, "invite": p.invite,
	} {
		m.HandleFunc("POST /console/users/{user}/"+action, p.admins(p.post(p.act(action, h))))
	}
}

// admins admits an admin signed in with the second factor, and nobody
// else: the check is made again at every request, so a name taken off the
// list loses the console at once.
func (p *Portal) admins(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := visitOf(r)
		switch {
		case v.sess == nil || v.sess.Stage == stageCode:
			redirect(w, r, "/signin")
		case v.sess.Stage != stageFull || !p.admin(r.Context(), v.sess.User):
			p.fail(w, r, http.StatusForbidden, "The console is for administrators who signed in with their code.")
		default:
			h(w, r)
		}
	}
}

type userRow struct {
	Name                     string
	Tokens, Locked, Disabled int
	LastSuccess              time.Time
}

func (p *Portal) users(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	rows, more, err := p.userRows(r.Context(), q)
	if err != nil {
		p.storeFailed(w, r, "console users", err)
		return
	}
	p.render(w, r, http.StatusOK, "users", page{Title: "Users", Nav: "console", Data: struct {
		Query string
		Rows  []userRow
		More  bool
	}{q, rows, more}})
}

// userRows lists the users whose names contain q, any case, with their
// tokens' state.
func (p *Portal) userRows(ctx context.Context, q string) ([]userRow, bool, error) {
	us, err := p.cfg.Store.Users(ctx)
	if err != nil {
		return nil, false, err
	}
	now := p.cfg.Now()
	var rows []userRow
	for _, u := range us {
		if !strings.Contains(strings.ToLower(u.Name), strings.ToLower(q)) {
			continue
		}
		if len(rows) == maxUsers {
			return rows, true, nil
		}
		ts, err := p.cfg.Store.Tokens(ctx, u.Name)
		if err != nil {
			return nil, false, err
		}
		row := userRow{Name: u.Name, Tokens: len(ts)}
		for _, t := range ts {
			if t.Locked(now) {
				row.Locked++
			}
			if !t.Enabled {
				row.Disabled++
			}
			if t.LastSuccess.After(row.LastSuccess) {
				row.LastSuccess = t.LastSuccess
			}
		}
		rows = append(rows, row)
	}
	return rows, false, nil
}

type userData struct {
	Name    string
	Path    string // the name escaped for a URL path
	Tokens  []admin.TokenInfo
	Events  []store.AuditEvent
	Invite  *Invitation // just made: shown once
	Message string
}

func (p *Portal) user(w http.ResponseWriter, r *http.Request) {
	p.showUser(w, r, http.StatusOK, userData{})
}

func (p *Portal) showUser(w http.ResponseWriter, r *http.Request, status int, d userData) {
	name := r.PathValue("user")
	adm := p.cfg.Admin(string(Frontend), p.adminSource(r))
	ts, err := adm.Show(r.Context(), name, "")
	if errors.Is(err, admin.ErrNoUser) {
		p.fail(w, r, http.StatusNotFound, "There is no user "+name+".")
		return
	}
	if err != nil {
		p.storeFailed(w, r, "console user", err)
		return
	}
	es, err := p.cfg.Store.Audit(r.Context(), store.AuditFilter{User: name, Limit: 10})
	if err != nil {
		p.storeFailed(w, r, "console user", err)
		return
	}
	d.Name, d.Path, d.Tokens, d.Events = name, url.PathEscape(name), ts, es
	p.render(w, r, status, "user", page{Title: name, Nav: "console", Data: d})
}

// adminSource is the audit trail's source of an admin's request: the
// address and the admin's name.
func (p *Portal) adminSource(r *http.Request) string {
	return source(r) + " admin " + visitOf(r).sess.User
}

// consoleAction does one admin action and says what it did, for the
// page it returns to; the invitation it made, if it made one.
type consoleAction func(r *http.Request, adm Admin) (msg string, inv *Invitation, err error)

// act runs h for the signed-in admin and audits it, whatever its outcome,
// with the admin's name and address, before answering: an action that
// cannot be audited is answered 503.
func (p *Portal) act(action string, h consoleAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		src := p.adminSource(r)
		msg, inv, err := h(r, p.cfg.Admin(string(Frontend), src))
		ev := store.AuditEvent{Time: p.cfg.Now(), Actor: Frontend, Action: store.Action("console " + action), User: r.PathValue("user"),
			TokenID: field(r, "token"), Result: "ok", Source: src}
		if err != nil {
			ev.Result, ev.Reason = "fail", consoleError(err)
		}
		if aerr := p.cfg.Store.AppendAudit(r.Context(), ev); aerr != nil {
			p.storeFailed(w, r, "console audit", aerr)
			return
		}
		switch {
		case err != nil && errors.Is(err, errStore):
			p.storeFailed(w, r, "console "+action, err)
		case err != nil:
			p.showUser(w, r, http.StatusConflict, userData{Message: consoleError(err)})
		case action == "delete":
			p.flash(r.Context(), visitOf(r), msg)
			redirect(w, r, "/console")
		case inv != nil:
			p.showUser(w, r, http.StatusOK, userData{Invite: inv, Message: msg})
		default:
			if err := p.flash(r.Context(), visitOf(r), msg); err != nil {
				p.storeFailed(w, r, "console message", err)
				return
			}
			redirect(w, r, "/console/users/"+url.PathEscape(r.PathValue("user")))
		}
	}
}

// errStore marks a failure of the store rather than a refusal.
var errStore = errors.New("the store failed")

// consoleError is what the console says of err: the admin's mistake, or
// that the store failed.
func consoleError(err error) string {
	for _, known := range []error{admin.ErrNoUser, admin.ErrNoToken, engine.ErrNoResyncToken, engine.ErrResyncNoMatch} {
		if errors.Is(err, known) {
			return err.Error()
		}
	}
	if errors.As(err, new(badForm)) {
		return err.Error()
	}
	return "the store failed"
}

// badForm is a form the admin must change.
type badForm string

func (b badForm) Error() string { return string(b) }

// storeErr marks err as the store's unless it is a known refusal.
func storeErr(err error) error {
	if err == nil || consoleError(err) != "the store failed" {
		return err
	}
	return errors.Join(errStore, err)
}

func (p *Portal) unlock(r *http.Request, adm Admin) (string, *Invitation, error) {
	ids, err := adm.Unlock(r.Context(), r.PathValue("user"), field(r, "token"))
	return plural(len(ids), "token") + " unlocked.", nil, storeErr(err)
}

func (p *Portal) setEnabled(enabled bool) consoleAction {
	return func(r *http.Request, adm Admin) (string, *Invitation, error) {
		ids, err := adm.SetEnabled(r.Context(), r.PathValue("user"), field(r, "token"), enabled)
		if err != nil {
			return "", nil, storeErr(err)
		}
		if enabled {
			return plural(len(ids), "token") + " enabled.", nil, nil
		}
		// A disabled user's portal sessions end too.
		if _, err := p.cfg.Store.DeleteUserWebSessions(r.Context(), r.PathValue("user")); err != nil {
			return "", nil, storeErr(err)
		}
		return plural(len(ids), "token") + " disabled.", nil, nil
	}
}

func (p *Portal) resync(r *http.Request, adm Admin) (string, *Invitation, error) {
	c1, c2 := strings.ReplaceAll(field(r, "code1"), " ", ""), strings.ReplaceAll(field(r, "code2"), " ", "")
	if c1 == "" || c2 == "" {
		return "", nil, badForm("resync needs two consecutive codes of the token")
	}
	id, err := adm.Resync(r.Context(), r.PathValue("user"), c1, c2)
	return "Token " + id + " resynchronised.", nil, storeErr(err)
}

func (p *Portal) deleteToken(r *http.Request, adm Admin) (string, *Invitation, error) {
	id := field(r, "token")
	if id == "" {
		return "", nil, badForm("no token was named")
	}
	err := adm.DeleteToken(r.Context(), r.PathValue("user"), id)
	return "Token " + id + " deleted.", nil, storeErr(err)
}

// deleteUser removes the user, their tokens and their portal sessions.
func (p *Portal) deleteUser(r *http.Request, adm Admin) (string, *Invitation, error) {
	name := r.PathValue("user")
	if err := adm.Delete(r.Context(), name); err != nil {
		return "", nil, storeErr(err)
	}
	if _, err := p.cfg.Store.DeleteUserWebSessions(r.Context(), name); err != nil {
		return "", nil, storeErr(err)
	}
	return "User " + name + " deleted.", nil, nil
}

func (p *Portal) invite(r *http.Request, _ Admin) (string, *Invitation, error) {
	inv, err := Invite(r.Context(), p.cfg.Store, p.base(r), r.PathValue("user"), string(Frontend), p.adminSource(r), p.cfg.InviteTTL, p.cfg.Now())
	if err != nil {
		return "", nil, errors.Join(errStore, err)
	}
	return "Send this link to the user. It works once, and is not shown again.", &inv, nil
}

// base is the portal's public address: the configured one, else the
// request's own host.
func (p *Portal) base(r *http.Request) *url.URL {
	if p.cfg.PublicURL != nil {
		return p.cfg.PublicURL
	}
	return &url.URL{Scheme: "https", Host: r.Host}
}

func (p *Portal) deletePage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("user")
	p.render(w, r, http.StatusOK, "delete", page{Title: "Delete " + name, Nav: "console", Data: struct{ Name, Path string }{name, url.PathEscape(name)}})
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
