package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web/webtest"
)

// portalSite is otpgate serve with the portal on [web] over TLS, an
// htpasswd first factor, RADIUS taking password and code appended, and:
// dave, who has only a password; root, an admin with a TOTP token; carol,
// with an HOTP token (the RFC 4226 test key).
type portalSite struct {
	dir, db, url, certFile string
	d                      *daemonProc
	rootSecret             string
	radiusSecret           string
}

var portalPasswords = map[string]string{"dave": "dave-pass-1", "root": "root-pass-1", "carol": "carol-pass-1"}

func startPortalSite(t *testing.T) *portalSite {
	t.Helper()
	s := &portalSite{dir: t.TempDir(), radiusSecret: "a-shared-secret-of-some-length"}
	s.db = filepath.Join(s.dir, "otpgate.db")
	ca := webtest.NewCA(t)
	_, certFile, keyFile := ca.Issue(t, s.dir)
	s.certFile = certFile
	var lines []string
	for u, p := range portalPasswords {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, u+":"+string(h))
	}
	htpasswd := filepath.Join(s.dir, "htpasswd")
	os.WriteFile(htpasswd, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	var root struct{ Secret string }
	if err := json.Unmarshal(otpgateProc(t, "enroll", "root", "--type", "totp", "--json", "--db", s.db), &root); err != nil {
		t.Fatal(err)
	}
	s.rootSecret = root.Secret
	otpgateProc(t, "enroll", "carol", "--type", "hotp", "--rfc4226-test-key", "--db", s.db)
	os.WriteFile(filepath.Join(s.dir, "vpn.secret"), []byte(s.radiusSecret+"\n"), 0o600)
	s.d = startServe(t, s.dir, fmt.Sprintf(`db = %q
[auth]
primary = "htpasswd:%s"
[policy]
max_failures = 3
lock_for = "1h"
totp_forward = 2
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "vpn"
address = "127.0.0.1"
secret_file = %q
style = "append"
[web]
listen = "127.0.0.1:0"
cert_file = %q
key_file = %q
[portal]
enabled = true
admins = ["root"]
`, s.db, htpasswd, filepath.Join(s.dir, "vpn.secret"), certFile, keyFile))
	ws := &webSite{d: s.d}
	s.url = "https://" + ws.webAddr(t)
	return s
}

// otpgateProc runs otpgate in its own process, on the real clock (the
// in-process runs have a fixed one), and returns its standard output.
func otpgateProc(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := otpgateCmd(args...).Output()
	if err != nil {
		t.Fatalf("otpgate %q: %v", args, err)
	}
	return out
}

// radius logs user in over RADIUS with radclient, the code appended to
// the password.
func (s *portalSite) radius(t *testing.T, user, code string) string {
	t.Helper()
	return serveRadclient(t, s.d.radius, s.radiusSecret, fmt.Sprintf(`User-Name = %q, User-Password = %q`, user, portalPasswords[user]+code))
}

// totp is oathtool's code of a base32 secret at time at.
func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	oath := testpeer.Need(t, "oathtool")[0]
	out, err := exec.Command(oath, "--totp", "-b", "-N", fmt.Sprintf("@%d", at.Unix()), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// signIn signs user in through the pages, with the code of secret when
// given.
func (s *portalSite) signIn(t *testing.T, ctx context.Context, user, secret string) {
	t.Helper()
	browse(t, ctx, "sign in as "+user, chromedp.Navigate(s.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#user"), user), chromedp.SendKeys(chromedp.CSS("#password"), portalPasswords[user]),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)))
	if secret == "" {
		browse(t, ctx, user+" signed in", chromedp.WaitVisible(chromedp.CSS("form.signout")))
		return
	}
	browse(t, ctx, "the code of "+user, chromedp.WaitVisible(chromedp.CSS("#code")),
		chromedp.SendKeys(chromedp.CSS("#code"), totp(t, secret, time.Now())),
		chromedp.Click(chromedp.CSS(`form[action="/signin/code"] button`)), chromedp.WaitVisible(chromedp.CSS(".tokens")))
}

// A user who has only a password enrolls themself in the browser (the QR
// code read back from a screenshot by zbarimg, the code made by oathtool)
// and logs in to the VPN over RADIUS with the new token; an admin unlocks
// a locked user in the console and finds it in the audit trail; a form
// without its token and a cross-origin post are refused. JavaScript is
// off throughout.
func TestPortalBrowser(t *testing.T) {
	s := startPortalSite(t)
	ctx := startBrowser(t, s.certFile)
	shots := newScreenshots(t)
	browse(t, ctx, "a page with a script", chromedp.Navigate("data:text/html,<title>off</title><script>document.title='on'</script>"))
	title := get(t, ctx, "its title", chromedp.Title())
	if title != "off" {
		t.Fatalf("a script ran (title %q): JavaScript is not off", title)
	}

	s.enrollDave(t, ctx, shots)
	s.adminUnlocksCarol(t, ctx, shots)
	for _, l := range strings.Split(s.d.logText.String(), "\n") {
		for u, p := range portalPasswords {
			if strings.Contains(l, p) {
				t.Errorf("the daemon's log holds %s's password: %s", u, l)
			}
		}
	}
}

func (s *portalSite) enrollDave(t *testing.T, ctx context.Context, shots *screenshots) {
	browse(t, ctx, "open the portal", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#password")))
	shots.take(t, ctx, "portal-signin")
	s.signIn(t, ctx, "dave", "")
	wantText(t, ctx, "dave signed in with a password", "You have no token yet")
	browse(t, ctx, "start enrolling", chromedp.SendKeys(chromedp.CSS("#name"), "Work phone"),
		chromedp.Click(chromedp.CSS(`form[action="/enroll"] button`)), chromedp.WaitVisible(chromedp.CSS("img.qr")))
	shot := shots.take(t, ctx, "portal-enroll")
	zbar := testpeer.Need(t, "zbarimg")[0]
	out, err := exec.Command(zbar, "-q", "--raw", shot).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", shot, err)
	}
	u, err := url.Parse(strings.TrimSpace(string(out)))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/otpgate:dave" {
		t.Fatalf("the QR code reads %q; want an otpauth://totp/otpgate:dave URI", out)
	}
	secret := u.Query().Get("secret")
	if got := s.radius(t, "dave", totp(t, secret, time.Now())); got != "Access-Reject" {
		t.Fatalf("RADIUS login with the token before it was confirmed: %s; want Access-Reject", got)
	}
	confirm := totp(t, secret, time.Now())
	browse(t, ctx, "confirm the token", chromedp.SendKeys(chromedp.CSS("#code"), confirm),
		chromedp.Click(chromedp.CSS(`form[action="/enroll/confirm"] button`)), chromedp.WaitVisible(chromedp.CSS(".tokens")))
	wantText(t, ctx, "after confirming", "Your token is set up", "Work phone")
	shots.take(t, ctx, "portal-tokens")
	if got := s.radius(t, "dave", confirm); got != "Access-Reject" {
		t.Errorf("RADIUS login with the code that confirmed the token: %s; want Access-Reject (used)", got)
	}
	if got := s.radius(t, "dave", totp(t, secret, time.Now().Add(30*time.Second))); got != "Access-Accept" {
		t.Fatalf("RADIUS login with the new token: %s; want Access-Accept; daemon log:\n%s", got, s.d.logText)
	}
	browse(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.CSS("#password")))
}

func (s *portalSite) adminUnlocksCarol(t *testing.T, ctx context.Context, shots *screenshots) {
	for range 4 {
		s.radius(t, "carol", "000000")
	}
	if got := s.radius(t, "carol", rfc4226Codes[0]); got != "Access-Reject" {
		t.Fatalf("carol's right code after 4 wrong ones: %s; want Access-Reject (locked)", got)
	}
	s.signIn(t, ctx, "root", s.rootSecret)
	browse(t, ctx, "search carol", chromedp.Navigate(s.url+"/console?q=car"))
	wantText(t, ctx, "the user list", "carol", "1 locked")
	shots.take(t, ctx, "console-users")
	userPage := s.url + "/console/users/carol"
	browse(t, ctx, "open carol", chromedp.Navigate(userPage))
	wantText(t, ctx, "carol's page", "Locked", "Failed attempts", "Last configuration")
	shots.take(t, ctx, "console-user")

	disable := `form[action="/console/users/carol/disable"]`
	token := get(t, ctx, "read the form's token", chromedp.AttributeValue(chromedp.CSS(disable+` input[name="csrf"]`), "value"))
	browse(t, ctx, "post without the form's token", chromedp.SetAttributeValue(chromedp.CSS(disable+` input[name="csrf"]`), "value", ""),
		chromedp.Click(chromedp.CSS(disable+" button")), chromedp.WaitVisible(chromedp.CSS(".notice.error")))
	wantText(t, ctx, "a form without its token", "This form has expired")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/disable"><input type="hidden" name="csrf" value="%s">`+
			`<button>Win a prize</button></form>`, userPage, token.Value)
	}))
	defer evil.Close()
	browse(t, ctx, "post from another site", chromedp.Navigate(evil.URL), chromedp.Click(chromedp.CSS("button")),
		chromedp.WaitVisible(chromedp.CSS(".notice.error")))
	wantText(t, ctx, "a cross-origin post", "sent from another site")
	if show := mustRun(t, "", "show", "carol", "--json", "--db", s.db).stdout; !strings.Contains(show, `"enabled": true`) {
		t.Errorf("carol after the refused posts: %s; want still enabled", show)
	}

	browse(t, ctx, "unlock carol", chromedp.Navigate(userPage),
		chromedp.Click(chromedp.CSS(`form[action="/console/users/carol/unlock"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	wantText(t, ctx, "after unlocking", "1 token unlocked.", "not locked")
	browse(t, ctx, "the audit trail", chromedp.Navigate(s.url+"/console/audit?user=carol"))
	wantText(t, ctx, "carol's audit trail", "console unlock", "admin root")
	shots.take(t, ctx, "console-audit")
	if got := s.radius(t, "carol", rfc4226Codes[0]); got != "Access-Accept" {
		t.Errorf("carol's right code after the unlock: %s; want Access-Accept", got)
	}
}
