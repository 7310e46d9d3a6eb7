package portal_test

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web/portal"
	"otpgate.dev/otpgate/internal/web/portal/settings"
	"otpgate.dev/otpgate/internal/web/webtest"
)

// passwords is a first factor for the tests: the login service's Checker
// over a table.
type passwords map[string]string

func (p passwords) Check(_ context.Context, user, password string) (bool, error) {
	want, ok := p[user]
	return ok && want == password, nil
}

var users = passwords{"alice": "alice-pw", "bob": "bob-pw"}

type site struct {
	*webtest.Site
	url string
	srv *webtest.Server
}

// newSite serves the portal over TLS on a real SQLite store, engine and
// login service; alice has a TOTP token (the RFC 6238 test key), bob none.
func newSite(t *testing.T, mod func(*portal.Config)) *site {
	t.Helper()
	ws := webtest.NewSite(t, engine.DefaultPolicy(), auth.Config{Primary: users})
	ws.Enroll(t, enroll.Spec{User: "alice", Type: store.TOTP, Secret: []byte("12345678901234567890")})
	c := portal.Config{Store: ws.Store, Box: func() *secretbox.Box { return ws.Box }, Service: ws.Service,
		Admin: func(actor, source string) portal.Admin { return ws.Admin(actor, source) }, FirstFactor: true, Issuer: "otpgate"}
	if mod != nil {
		mod(&c)
	}
	srv := webtest.Serve(t, portal.New(c), nil, nil)
	return &site{Site: ws, url: srv.URL, srv: srv}
}

// browser is a client with a cookie jar, as a browser keeps cookies.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string // the last page's form token
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	c := s.srv.CA.Client()
	c.Jar = jar
	return &browser{t: t, c: c, base: s.url}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends form with the last page's token unless form sets csrf, from
// this site unless header says otherwise.
func (b *browser) post(path string, form url.Values, header ...string) (int, string) {
	b.t.Helper()
	if !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) signIn(user string) {
	b.t.Helper()
	b.get("/signin")
	if code, body := b.post("/signin", url.Values{"user": {user}, "password": {users[user]}}); code != http.StatusOK {
		b.t.Fatalf("sign in as %s: %d %s", user, code, body)
	}
}

func TestHeadersAndCookies(t *testing.T) {
	s := newSite(t, nil)
	resp, err := s.srv.CA.Client().Get(s.url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	c := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-otpgate-form=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie = %q; want %q in it", c, want)
		}
	}
	if strings.Contains(c, "Domain=") || strings.Contains(c, "Expires=") {
		t.Errorf("Set-Cookie = %q; want no Domain (the __Host- rule) and no expiry", c)
	}
}

// A post without its token, with another's, or from another site is
// refused before anything is checked.
func TestFormsRefused(t *testing.T) {
	s := newSite(t, nil)
	other := s.browser(t)
	other.get("/signin")
	b := s.browser(t)
	b.get("/signin")
	form := func(csrf string) url.Values {
		return url.Values{"user": {"bob"}, "password": {"bob-pw"}, "csrf": {csrf}}
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		header []string
		want   string
	}{
		{"no token", form(""), nil, "has expired"},
		{"another browser's token", form(other.csrf), nil, "has expired"},
		{"cross-origin", form(b.csrf), []string{"Origin", "https://evil.example"}, "another site"},
		{"Origin null", form(b.csrf), []string{"Origin", "null"}, "another site"},
		{"cross-site fetch", form(b.csrf), []string{"Sec-Fetch-Site", "cross-site"}, "another site"},
		{"same-site fetch", form(b.csrf), []string{"Sec-Fetch-Site", "same-site"}, "another site"},
	} {
		code, body := b.post("/signin", tt.form, tt.header...)
		if code != http.StatusForbidden || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d; want 403 with %q", tt.name, code, tt.want)
		}
	}
	if code, body := b.post("/signin", form(b.csrf)); code != http.StatusOK || !strings.Contains(body, "Welcome, bob") {
		t.Errorf("the same form with its token: %d %s; want bob signed in", code, body)
	}
}

func totpNow(t *testing.T, secret []byte, at time.Time) string {
	return otp.Generate(secret, otp.DefaultParams().Step(at), otp.DefaultParams())
}

// startEnroll signs bob in with his password and starts an enrollment; it
// returns the secret the page shows.
func startEnroll(t *testing.T, b *browser) []byte {
	t.Helper()
	b.signIn("bob")
	code, body := b.post("/enroll", url.Values{"name": {"phone"}})
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`).FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("enroll: %d %s", code, body)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// A pending token is no token: its code logs nobody in until it is
// confirmed, and the code that confirms it is used up.
func TestPendingTokenNeverVerifies(t *testing.T) {
	s := newSite(t, nil)
	b := s.browser(t)
	secret := startEnroll(t, b)
	now := time.Now()
	login := func(code string) auth.Outcome {
		r, err := s.Service.Authenticate(t.Context(), auth.Request{User: "bob", Password: "bob-pw", Code: code, Style: auth.Separate, Frontend: "radius"})
		if err != nil {
			t.Fatal(err)
		}
		return r.Outcome
	}
	if got := login(totpNow(t, secret, now)); got != auth.Reject {
		t.Errorf("login with the pending token's code = %v; want reject", got)
	}
	if code, body := b.post("/enroll/confirm", url.Values{"code": {"000000"}}); code != http.StatusBadRequest || !strings.Contains(body, "does not match") {
		t.Errorf("confirm with a wrong code: %d", code)
	}
	confirm := totpNow(t, secret, now)
	if code, body := b.post("/enroll/confirm", url.Values{"code": {confirm}}); code != http.StatusOK || !strings.Contains(body, "Your token is set up") {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if got := login(confirm); got != auth.Reject {
		t.Errorf("login with the confirming code = %v; want reject (used)", got)
	}
	if got := login(totpNow(t, secret, now.Add(30*time.Second))); got != auth.Accept {
		t.Errorf("login with the next code = %v; want accept", got)
	}
}

// Who may enroll, by policy and by what they proved.
func TestSelfEnrollPolicy(t *testing.T) {
	for _, tt := range []struct {
		policy      settings.SelfEnroll
		firstFactor bool
		user        string
		want        int
	}{
		{settings.FirstTokenOnly, true, "bob", http.StatusOK},
		{settings.Always, true, "bob", http.StatusOK},
		{settings.Never, true, "bob", http.StatusForbidden},
		{settings.FirstTokenOnly, false, "bob", http.StatusForbidden},  // no first factor: the code page
		{settings.FirstTokenOnly, true, "alice", http.StatusForbidden}, // has a token: the code page
		{settings.Always, true, "alice", http.StatusForbidden},
	} {
		s := newSite(t, func(c *portal.Config) { c.SelfEnroll, c.FirstFactor = tt.policy, tt.firstFactor })
		b := s.browser(t)
		b.signIn(tt.user)
		code, _ := b.post("/enroll", url.Values{})
		if code != tt.want {
			t.Errorf("%s, first factor %v, %s after the password: enroll = %d; want %d", tt.policy, tt.firstFactor, tt.user, code, tt.want)
		}
	}
}

// Two browsers of bob's password enroll at once: one token is bound.
func TestFirstTokenOnce(t *testing.T) {
	s := newSite(t, nil)
	b1, b2 := s.browser(t), s.browser(t)
	sec1, sec2 := startEnroll(t, b1), startEnroll(t, b2)
	now := time.Now()
	c1, _ := b1.post("/enroll/confirm", url.Values{"code": {totpNow(t, sec1, now)}})
	c2, body := b2.post("/enroll/confirm", url.Values{"code": {totpNow(t, sec2, now)}})
	if c1 != http.StatusOK || c2 != http.StatusConflict || !strings.Contains(body, "enrollment link") {
		t.Errorf("two first tokens: %d then %d; want 200 then 409", c1, c2)
	}
	if ts, _ := s.Store.Tokens(t.Context(), "bob"); len(ts) != 1 {
		t.Errorf("bob has %d tokens; want 1", len(ts))
	}
}

// An invitation works once, for its user, and lets a user with a token
// add one; the store keeps only its hash.
func TestInvite(t *testing.T) {
	s := newSite(t, func(c *portal.Config) { c.SelfEnroll = settings.Never })
	base, _ := url.Parse(s.url)
	inv, err := portal.Invite(t.Context(), s.Store, base, "alice", "admin-cli", "", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(inv.Link, s.url+"/invite?code=")
	h := sha256.Sum256([]byte(secret))
	b := s.browser(t)
	if code, _ := b.get("/invite?code=" + secret); code != http.StatusOK {
		t.Fatalf("GET the link: %d", code)
	}
	if code, _ := b.post("/invite", url.Values{"code": {secret}, "user": {"bob"}, "password": {"bob-pw"}}); code != http.StatusGone {
		t.Errorf("alice's link used by bob: %d; want 410", code)
	}
	inv, _ = portal.Invite(t.Context(), s.Store, base, "alice", "admin-cli", "", time.Hour, time.Now())
	secret = strings.TrimPrefix(inv.Link, s.url+"/invite?code=")
	b.get("/invite?code=" + secret)
	if code, body := b.post("/invite", url.Values{"code": {secret}, "user": {"alice"}, "password": {"alice-pw"}}); code != http.StatusOK || !strings.Contains(body, "Set up a token") {
		t.Fatalf("alice's link: %d %s", code, body)
	}
	if code, _ := b.post("/enroll", url.Values{}); code != http.StatusOK {
		t.Errorf("enroll after the invitation: %d; want 200", code)
	}
	if _, err := s.Store.TakeWebInvite(t.Context(), h[:], time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the first link after use: %v; want gone", err)
	}
	c := s.browser(t)
	c.get("/invite?code=" + secret)
	if code, _ := c.post("/invite", url.Values{"code": {secret}, "user": {"alice"}, "password": {"alice-pw"}}); code != http.StatusGone {
		t.Errorf("the link a second time: %d; want 410", code)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "alice": "alice", "": "", "a=b": "a=b",
	} {
		if got := portal.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q; want %q", in, got, want)
		}
	}
}

// The console is for admins who signed in with their code; each action
// is audited with the admin's name and address.
func TestConsoleForAdminsOnly(t *testing.T) {
	s := newSite(t, func(c *portal.Config) {
		c.IsAdmin = func(_ context.Context, u string) (bool, error) { return u == "alice", nil }
	})
	bob := s.browser(t)
	bob.signIn("bob")
	if code, _ := bob.get("/console"); code != http.StatusForbidden {
		t.Errorf("bob, not an admin: GET /console = %d; want 403", code)
	}
	alice := s.browser(t)
	alice.signIn("alice")
	if code, body := alice.get("/console"); !strings.Contains(body, "<h1 id=\"h\">Sign in</h1>") {
		t.Errorf("alice before her code: GET /console = %d %s; want the sign-in page", code, body)
	}
	code, body := alice.post("/signin/code", url.Values{"code": {totpNow(t, []byte("12345678901234567890"), time.Now())}})
	if code != http.StatusOK || !strings.Contains(body, "Your tokens") {
		t.Fatalf("alice's code: %d %s", code, body)
	}
	if code, body := alice.get("/console?q=ali"); code != http.StatusOK || !strings.Contains(body, `href="/console/users/alice"`) {
		t.Errorf("alice: GET /console = %d %s", code, body)
	}
	alice.get("/console/users/alice")
	if code, body := alice.post("/console/users/alice/unlock", url.Values{}); code != http.StatusOK || !strings.Contains(body, "1 token unlocked") {
		t.Errorf("unlock: %d %s", code, body)
	}
	es, _ := s.Store.Audit(t.Context(), store.AuditFilter{User: "alice", Limit: 5})
	if len(es) == 0 || es[0].Action != "console unlock" || es[0].Actor != portal.Frontend || !strings.HasSuffix(es[0].Source, " admin alice") {
		t.Errorf("the audit trail's latest event = %+v; want console unlock by admin alice", es)
	}
}
