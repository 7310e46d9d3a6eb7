package portal

import (
	"net/http"
	"net/url"

	"otpgate.dev/otpgate/internal/web"
)

// contentSecurityPolicy lets a page load the embedded stylesheet and data:
// images (the QR code) and nothing else: no script, no frame, no form that
// posts elsewhere, no page that frames this one (CSP Level 3).
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// pageHeaders replace the API's headers for pages. Cache-Control:
// no-store (set by package web) stays: a page may show a secret. The
// referrer policy is same-origin rather than the API's no-referrer, under
// which a browser sends "Origin: null" with every form (Fetch, "serializing
// a request origin"): same-origin still sends no referrer to another site.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// sameSite refuses every request but a GET or HEAD that comes from
// another site (Origin and Sec-Fetch-Site, when the browser sends them,
// which every current one does), before anything else looks at it.
func (p *Portal) sameSite(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !p.sameOrigin(r) {
			p.fail(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// post wraps a form's handler: the form must carry the token bound to the
// browser's cookie, or it is refused before the handler runs.
func (p *Portal) post(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			p.fail(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		if !validCSRF(visitOf(r).bind(), r.PostForm.Get("csrf")) {
			p.fail(w, r, http.StatusForbidden, "This form has expired or was not sent from its page. Go back, reload the page and try again.")
			return
		}
		h(w, r)
	}
}

// sameOrigin checks Sec-Fetch-Site and Origin (RFC 6454). A browser sends
// Origin with every POST; its absence means a client that is no browser,
// which the form token still binds.
func (p *Portal) sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false // "null" among others
	}
	if p.cfg.PublicURL != nil {
		return u.Scheme == p.cfg.PublicURL.Scheme && u.Host == p.cfg.PublicURL.Host
	}
	return u.Host == r.Host && (u.Scheme == "https" || r.TLS == nil)
}

// source is the audit trail's source of a request: the client's address
// (from X-Forwarded-For behind trusted proxies, package web).
func source(r *http.Request) string { return web.RequestInfo(r).Source.String() }

// redirect answers a form with 303 See Other, so that a reload of the next
// page does not post it again.
func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// decided tells the access log what a sign-in came to: "accept" or
// "reject", never why.
func decided(r *http.Request, result string) { web.RequestInfo(r).Result = result }
