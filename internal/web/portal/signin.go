package portal

import (
	"context"
	"net/http"
	"strings"

	"otpgate.dev/otpgate/internal/auth"
)

// maxField bounds a form field: no name, password or code is this long.
const maxField = 1024

// field returns the form value name, trimmed of spaces unless it is a
// password, and "" when it is longer than maxField.
func field(r *http.Request, name string) string {
	v := r.PostForm.Get(name)
	if len(v) > maxField {
		return ""
	}
	if name == "password" {
		return v
	}
	return strings.TrimSpace(v)
}

type signinData struct {
	FirstFactor bool
	Name        string
}

func (p *Portal) signinPage(w http.ResponseWriter, r *http.Request) {
	if v := visitOf(r); v.sess != nil && v.sess.Stage != stageCode {
		redirect(w, r, "/")
		return
	}
	p.render(w, r, http.StatusOK, "signin", page{Title: "Sign in", Data: signinData{FirstFactor: p.cfg.FirstFactor}})
}

// signin checks the first factor through the login service, as a RADIUS
// or OpenVPN challenge login does: a wrong password is refused and counted
// as there. A user who holds a token is asked for its code next.
func (p *Portal) signin(w http.ResponseWriter, r *http.Request) {
	user := field(r, "user")
	data := signinData{FirstFactor: p.cfg.FirstFactor, Name: user}
	if user == "" {
		p.render(w, r, http.StatusBadRequest, "signin", page{Title: "Sign in", Error: "Enter your user name.", Data: data})
		return
	}
	resp, err := p.cfg.Service.Authenticate(r.Context(), p.loginRequest(r, auth.Request{User: user, Password: field(r, "password"), Style: auth.Challenge}))
	if err != nil {
		p.storeFailed(w, r, "portal sign-in", err)
		return
	}
	if resp.Outcome != auth.ChallengeIssued {
		decided(r, "reject")
		p.render(w, r, http.StatusUnauthorized, "signin", page{Title: "Sign in", Data: data,
			Error: "The user name or password is wrong, or the account is locked."})
		return
	}
	stage, err := p.firstStage(r.Context(), resp.Canonical)
	if err != nil {
		p.storeFailed(w, r, "portal sign-in", err)
		return
	}
	if err := p.begin(w, r, resp.Canonical, stage, state{Challenge: resp.Challenge.ID}); err != nil {
		p.storeFailed(w, r, "portal sign-in", err)
		return
	}
	if stage == stageCode {
		redirect(w, r, "/signin/code")
		return
	}
	redirect(w, r, "/")
}

// firstStage is where a right first factor leads: the code, unless the
// user has no token and the first factor means something. Without one
// (primary = none) everyone is asked for a code, so that the page tells
// nobody who has a token.
func (p *Portal) firstStage(ctx context.Context, user string) (string, error) {
	if !p.cfg.FirstFactor {
		return stageCode, nil
	}
	toks, err := p.cfg.Store.Tokens(ctx, user)
	if err != nil {
		return "", err
	}
	if len(toks) == 0 {
		return stagePassword, nil
	}
	return stageCode, nil
}

func (p *Portal) codePage(w http.ResponseWriter, r *http.Request) {
	if v := visitOf(r); v.sess == nil || v.sess.Stage != stageCode {
		redirect(w, r, "/signin")
		return
	}
	p.render(w, r, http.StatusOK, "code", page{Title: "Enter your code"})
}

// signinCode answers the challenge of the first step with the code. The
// challenge is used up either way, as in RADIUS: a wrong code starts the
// sign-in again.
func (p *Portal) signinCode(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.sess == nil || v.sess.Stage != stageCode {
		redirect(w, r, "/signin")
		return
	}
	user := v.sess.User
	resp, err := p.cfg.Service.Authenticate(r.Context(), p.loginRequest(r, auth.Request{User: user, ChallengeID: v.st.Challenge,
		Code: code(r)}))
	if err != nil {
		p.storeFailed(w, r, "portal sign-in", err)
		return
	}
	if resp.Outcome != auth.Accept {
		decided(r, "reject")
		if err := p.end(r.Context(), v); err != nil {
			p.storeFailed(w, r, "portal sign-in", err)
			return
		}
		p.render(w, r, http.StatusUnauthorized, "signin", page{Title: "Sign in", Data: signinData{FirstFactor: p.cfg.FirstFactor, Name: user},
			Error: "The code was wrong or too late, or the account is locked. Sign in again."})
		return
	}
	decided(r, "accept")
	if err := p.begin(w, r, resp.Canonical, stageFull, state{}); err != nil {
		p.storeFailed(w, r, "portal sign-in", err)
		return
	}
	redirect(w, r, "/")
}

// loginRequest completes req as the portal's.
func (p *Portal) loginRequest(r *http.Request, req auth.Request) auth.Request {
	req.Frontend, req.Source, req.Client = Frontend, source(r), source(r)
	return req
}

func (p *Portal) signout(w http.ResponseWriter, r *http.Request) {
	if err := p.end(r.Context(), visitOf(r)); err != nil {
		p.storeFailed(w, r, "portal sign-out", err)
		return
	}
	setCookie(w, cookieName, "")
	redirect(w, r, "/signin")
}
