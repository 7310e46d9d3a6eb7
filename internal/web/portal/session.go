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

// cookieName is the one cookie: the __Host- prefix makes a browser keep it
// only when set Secure, for the whole host, by the host itself (RFC 6265bis
// 4.1.3.2), so no sibling domain can plant or read it.
const cookieName = "__Host-otpgate"

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

// visit is what the portal knows of a request's browser: the cookie's value
// (a signed-in session's or an anonymous one's, which binds the sign-in
// form's token) and the session, nil when not signed in.
type visit struct {
	value string
	sess  *store.WebSession
	st    state
}

type visitKey struct{}

func visitOf(r *http.Request) *visit { return r.Context().Value(visitKey{}).(*visit) }

// hashID is what the store keeps of a cookie's value.
func hashID(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// csrfToken is the forms' token for the cookie's value: an HMAC of it, so
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

func setCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
}

// withSession finds the request's session, or gives the browser an
// anonymous cookie value for the sign-in forms' tokens.
func (p *Portal) withSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &visit{}
		if c, err := r.Cookie(cookieName); err == nil && validValue(c.Value) {
			v.value = c.Value
			if err := p.load(r.Context(), v); err != nil {
				p.log.Error("web: reading a portal session", "err", err)
				p.fail(w, r, http.StatusServiceUnavailable, "The store is unavailable. Try again in a moment.")
				return
			}
		}
		if v.value == "" {
			v.value = newValue()
			setCookie(w, v.value)
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
	setCookie(w, value)
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
