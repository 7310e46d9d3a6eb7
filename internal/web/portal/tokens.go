package portal

import (
	"errors"
	"net/http"
	"strings"

	"otpgate.dev/otpgate/internal/store"
)

// code returns the form's code without the spaces people type in it.
func code(r *http.Request) string { return strings.ReplaceAll(field(r, "code"), " ", "") }

// ownToken returns the token of the path's {id} if the signed-in user
// holds it and signed in with the second factor; otherwise it answers and
// returns false.
func (p *Portal) ownToken(w http.ResponseWriter, r *http.Request) (store.Token, bool) {
	v := visitOf(r)
	if v.sess == nil || v.sess.Stage != stageFull {
		p.fail(w, r, http.StatusForbidden, "Sign in with your code to change your tokens.")
		return store.Token{}, false
	}
	t, err := p.cfg.Store.Token(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.User != v.sess.User) {
		p.fail(w, r, http.StatusNotFound, "You have no such token.")
		return store.Token{}, false
	}
	if err != nil {
		p.storeFailed(w, r, "portal token", err)
		return store.Token{}, false
	}
	return t, true
}

func (p *Portal) renameToken(w http.ResponseWriter, r *http.Request) {
	t, ok := p.ownToken(w, r)
	if !ok {
		return
	}
	name := field(r, "name")
	if name == "" || len(name) > maxName {
		p.fail(w, r, http.StatusBadRequest, "A token's name is 1 to 64 characters long.")
		return
	}
	t.Comment = name
	if err := p.cfg.Store.UpdateToken(r.Context(), &t); err != nil {
		p.storeFailed(w, r, "portal rename", err)
		return
	}
	if err := p.audit(r, "portal rename", t.User, t.ID, ""); err != nil {
		p.storeFailed(w, r, "portal rename", err)
		return
	}
	p.done(w, r, "The token is now called “"+name+"”.")
}

// removable says whether the user may remove t: not their only token,
// which would leave the account to whoever next signs in with its password
// under first-token-only.
func (p *Portal) removable(r *http.Request, t store.Token) (bool, error) {
	ts, err := p.cfg.Store.Tokens(r.Context(), t.User)
	return len(ts) > 1, err
}

func (p *Portal) removePage(w http.ResponseWriter, r *http.Request) {
	t, ok := p.ownToken(w, r)
	if !ok {
		return
	}
	can, err := p.removable(r, t)
	if err != nil {
		p.storeFailed(w, r, "portal remove", err)
		return
	}
	p.render(w, r, http.StatusOK, "remove", page{Title: "Remove a token", Nav: "portal", Data: struct {
		Token store.Token
		Can   bool
	}{t, can}})
}

func (p *Portal) removeToken(w http.ResponseWriter, r *http.Request) {
	t, ok := p.ownToken(w, r)
	if !ok {
		return
	}
	if can, err := p.removable(r, t); err != nil {
		p.storeFailed(w, r, "portal remove", err)
		return
	} else if !can {
		p.fail(w, r, http.StatusConflict, "This is your only token. Set up another one first, or ask your administrator.")
		return
	}
	if err := p.cfg.Store.DeleteToken(r.Context(), t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.storeFailed(w, r, "portal remove", err)
		return
	}
	if err := p.audit(r, "portal remove", t.User, t.ID, ""); err != nil {
		p.storeFailed(w, r, "portal remove", err)
		return
	}
	p.done(w, r, "The token “"+t.Comment+"” is removed.")
}

// done leaves msg for the home page and goes there.
func (p *Portal) done(w http.ResponseWriter, r *http.Request, msg string) {
	if err := p.flash(r.Context(), visitOf(r), msg); err != nil {
		p.storeFailed(w, r, "portal message", err)
		return
	}
	redirect(w, r, "/")
}
