package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"otpgate.dev/otpgate/internal/store"
)

// The cookies: the session's, and before it an anonymous one that the
// sign-in forms' tokens are bound to. They are apart so that a response
// to a request that came without the session's (a cross-site one, which
// SameSite=Strict keeps it from) never overwrites it. The __Host- prefix
// makes a browser keep a cookie only when set Secure, for the whole host,
// by the host itself (RFC 6265bis 4.1.3.2), so no sibling domain can plant
// or read it.
const (
	cookieName = "__Host-otpgate"
	anonCookie = "__Host-otpgate-form"
)

// Stages of a session: what its browser has proven.
const (
	// stageCode: the first factor; the code must follow.
	stageCode = "code"
	// stagePassword: the first factor, by a user who had no token.
	stagePassword = "password"
	// stageInvited: an invitation and the first factor; one token may be
	// enrolled.
	stageInvited = "invited"
	// stageFull: the second factor.
	stageFull = "full"
)

// state is a session's Data: the portal's own, in the store as JSON. It
// holds no plaintext secret: a pending token's secret is sealed.
type state struct {
	// Challenge is the login service's challenge that the code answers.
	Challenge string `json:"challenge,omitempty"`
	// Pending is a token shown to the user and not yet confirmed. It is
	// kept here, not among the tokens, so it can never verify a login.
	Pending *store.Token `json:"pending,omitempty"`
	// Flash is a message for the next page, shown once.
	Flash string `json:"flash,omitempty"`
}

// visit is what the portal knows of a request's browser: the session
// cookie's value and the session, nil when not signed in, or else the
// anonymous cookie's value.
type visit struct {
	value string
	anon  string
	sess  *store.WebSession
	st    state
}

// bind is the value the forms' tokens are bound to: the session's when
// signed in, else the anonymous one.
func (v *visit) bind() string {
	if v.sess != nil {
		return v.value
	}
	return v.anon
}

type visitKey struct{}

func visitOf(r *http.Request) *visit { return r.Context().Value(visitKey{}).(*visit) }

// hashID is what the store keeps of a cookie's value.
func hashID(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// csrfToken is the forms' token for a cookie's value: an HMAC of it, so
// that only a page read with the cookie can carry it.
func csrfToken(value string) string {
	m := hmac.New(sha256.New, []byte(value))
	m.Write([]byte("otpgate portal form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF compares a form's token with the cookie's in constant time.
func validCSRF(value, token string) bool {
	return value != "" && subtle.ConstantTimeCompare([]byte(csrfToken(value)), []byte(token)) == 1
}

// newValue is a new cookie value: 128 bits from crypto/rand.
func newValue() string { return rand.Text() }

// validValue reports whether v has the form of newValue's values, so that
// no other string reaches the store.
func validValue(v string) bool {
	if len(v) != 26 {
		return false
	}
	for _, c := range v {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// setCookie sets the cookie name to value for the browser's session (no
// expiry: the store's timeouts end it); an empty value deletes it.
func setCookie(w http.ResponseWriter, name, value string) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// cookie returns the request's cookie name if it has the form of a value
// the portal makes, else "".
func cookie(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil && validValue(c.Value) {
		return c.Value
	}
	return ""
}

// withSession finds the request's session, or gives the browser an
// anonymous cookie value for the sign-in forms' tokens.
func (p *Portal) withSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &visit{value: cookie(r, cookieName), anon: cookie(r, anonCookie)}
		if v.value != "" {
			if err := p.load(r.Context(), v); err != nil {
				p.log.Error("web: reading a portal session", "err", err)
				v.value = "" // the error page needs a visit, not a session
				r = r.WithContext(context.WithValue(r.Context(), visitKey{}, v))
				p.fail(w, r, http.StatusServiceUnavailable, "The store is unavailable. Try again in a moment.")
				return
			}
		}
		if v.sess == nil && v.anon == "" {
			v.anon = newValue()
			setCookie(w, anonCookie, v.anon)
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), visitKey{}, v)))
	})
}

// load reads v's session, if it is alive, and records the request.
func (p *Portal) load(ctx context.Context, v *visit) error {
	s, err := p.cfg.Store.TouchWebSession(ctx, hashID(v.value), p.cfg.Now(), p.cfg.Idle)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(s.Data, &v.st); err != nil {
		return fmt.Errorf("portal: session data: %w", err)
	}
	v.sess = &s
	return nil
}

// begin starts a new session for user at stage, ending the browser's
// previous one: a session that proves more gets a new cookie value, so a
// value planted before sign-in is worth nothing after it.
func (p *Portal) begin(w http.ResponseWriter, r *http.Request, user, stage string, st state) error {
	v := visitOf(r)
	now := p.cfg.Now()
	if err := p.end(r.Context(), v); err != nil {
		return err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	value := newValue()
	s := &store.WebSession{ID: hashID(value), User: user, Stage: stage, Data: data, Created: now, Seen: now,
		Expires: now.Add(p.cfg.Lifetime)}
	if err := p.cfg.Store.PutWebSession(r.Context(), s); err != nil {
		return err
	}
	v.value, v.sess, v.st = value, s, st
	setCookie(w, cookieName, value)
	return nil
}

// save writes v's state back.
func (p *Portal) save(ctx context.Context, v *visit) error {
	data, err := json.Marshal(v.st)
	if err != nil {
		return err
	}
	v.sess.Data = data
	return p.cfg.Store.UpdateWebSession(ctx, v.sess)
}

// end deletes v's session, if any.
func (p *Portal) end(ctx context.Context, v *visit) error {
	if v.sess == nil {
		return nil
	}
	err := p.cfg.Store.DeleteWebSession(ctx, v.sess.ID)
	v.sess, v.st = nil, state{}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// flash leaves msg for the next page of v's session.
func (p *Portal) flash(ctx context.Context, v *visit, msg string) error {
	v.st.Flash = msg
	return p.save(ctx, v)
}
