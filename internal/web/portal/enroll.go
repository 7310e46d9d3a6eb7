package portal

import (
	"encoding/base32"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// confirmSteps is how many time steps either side of now a confirmation
// code may come from: a phone's clock a little off, a code typed as it
// changed.
const confirmSteps = 1

// maxName bounds a token's name.
const maxName = 64

// defaultTokenName names a token whose user gave it none.
const defaultTokenName = "Authenticator app"

type enrollData struct {
	QR     template.URL // data: URI of the PNG
	Secret string       // base32, for typing in
	URI    string
	Name   string
	Issuer string
	User   string
	Period int64
	Digits int
}

// startEnroll draws a new TOTP secret and keeps it, sealed, in the
// session: shown until confirmed, and never a token that verifies a login.
func (p *Portal) startEnroll(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.sess == nil || !p.mayEnroll(v) {
		p.fail(w, r, http.StatusForbidden, "You may not set up a token now. Ask your administrator for an enrollment link.")
		return
	}
	name := field(r, "name")
	if name == "" {
		name = defaultTokenName
	}
	if len(name) > maxName {
		name = name[:maxName]
	}
	t, err := enroll.NewToken(p.cfg.Box(), enroll.Spec{User: v.sess.User, Type: store.TOTP, Comment: name}, p.cfg.Now())
	if err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	v.st.Pending = &t
	if err := p.save(r.Context(), v); err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	redirect(w, r, "/enroll")
}

// enrollPage shows the pending token's QR code and secret, and asks for a
// code from it.
func (p *Portal) enrollPage(w http.ResponseWriter, r *http.Request) {
	p.showEnroll(w, r, http.StatusOK, "")
}

func (p *Portal) showEnroll(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := visitOf(r)
	if v.sess == nil || v.st.Pending == nil {
		redirect(w, r, "/")
		return
	}
	t := v.st.Pending
	secret, err := p.cfg.Box().Open(t.Secret, secretbox.AAD(t.ID, enroll.ColumnSecret))
	if err != nil {
		p.storeFailed(w, r, "portal enrollment: the pending secret does not open", err)
		return
	}
	defer clear(secret)
	uri, err := enroll.KeyURI(p.cfg.Issuer, t, secret)
	if err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	png, err := admin.QRImage("qr.png", uri)
	if err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	d := enrollData{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		Secret: base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret), URI: uri,
		Name: t.Comment, Issuer: p.cfg.Issuer, User: t.User, Period: int64(t.Params.Period / time.Second), Digits: t.Params.Digits}
	p.render(w, r, status, "enroll", page{Title: "Set up your token", Nav: "portal", Error: msg, Data: d})
}

// confirmEnroll stores the pending token once the user shows a code from
// it, its counter past that code so that the code cannot log in again.
func (p *Portal) confirmEnroll(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.sess == nil || v.st.Pending == nil || !p.mayEnroll(v) {
		redirect(w, r, "/")
		return
	}
	t := *v.st.Pending
	step, ok, err := p.checkPending(&t, code(r))
	if err != nil {
		p.storeFailed(w, r, "portal enrollment: the pending secret does not open", err)
		return
	}
	if !ok {
		p.showEnroll(w, r, http.StatusBadRequest, "That code does not match. Check that your phone's clock is right, and enter the code it shows now.")
		return
	}
	t.Next = int64(step) + 1
	if err := p.addToken(r, v, &t); errors.Is(err, store.ErrExists) {
		v.st.Pending = nil
		p.save(r.Context(), v)
		p.fail(w, r, http.StatusConflict, "You have a token already, so another one needs an enrollment link from your administrator.")
		return
	} else if err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	if err := p.audit(r, "portal enroll", t.User, t.ID, ""); err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	if err := p.begin(w, r, t.User, stageFull, state{Flash: "Your token is set up. Use its codes to sign in to the VPN."}); err != nil {
		p.storeFailed(w, r, "portal enrollment", err)
		return
	}
	redirect(w, r, "/")
}

// checkPending verifies code against the pending token around now.
func (p *Portal) checkPending(t *store.Token, code string) (uint64, bool, error) {
	secret, err := p.cfg.Box().Open(t.Secret, secretbox.AAD(t.ID, enroll.ColumnSecret))
	if err != nil {
		return 0, false, err
	}
	defer clear(secret)
	lo, hi := otp.Window(t.Params.Step(p.cfg.Now()), confirmSteps, confirmSteps)
	step, ok := otp.Verify(secret, code, lo, hi, t.Params)
	return step, ok, nil
}

// addToken stores a confirmed token. A user who proved only a password
// may add only a first token, checked by the store in the insert's own
// transaction (AddFirstToken): the first-token-only rule holds even for
// two browsers at once.
func (p *Portal) addToken(r *http.Request, v *visit, t *store.Token) error {
	ctx := r.Context()
	if _, err := p.cfg.Store.CreateUser(ctx, t.User); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	if v.sess.Stage == stagePassword {
		return p.cfg.Store.AddFirstToken(ctx, t)
	}
	return p.cfg.Store.AddToken(ctx, t)
}

func (p *Portal) cancelEnroll(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.sess != nil && v.st.Pending != nil {
		v.st.Pending = nil
		if err := p.save(r.Context(), v); err != nil {
			p.storeFailed(w, r, "portal enrollment", err)
			return
		}
	}
	redirect(w, r, "/")
}

// audit records a change made in the portal or the console.
func (p *Portal) audit(r *http.Request, action store.Action, user, tokenID, src string) error {
	if src == "" {
		src = source(r)
	}
	return p.cfg.Store.AppendAudit(r.Context(), store.AuditEvent{Time: p.cfg.Now(), Actor: Frontend, Action: action,
		User: user, TokenID: tokenID, Result: "ok", Source: src})
}
