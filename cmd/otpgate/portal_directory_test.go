package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web/webtest"
)

// formClient posts the portal's forms as a browser with JavaScript off
// would, with Go's HTTP client: a cookie jar, the form token of the last
// page, redirects followed.
type formClient struct {
	c    *http.Client
	base string
	csrf string
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newFormClient(t *testing.T, ca *webtest.CA, base string) *formClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ca.Client()
	c.Jar = jar
	return &formClient{c: c, base: base}
}

// do sends req and returns the status, the path it ended at and the body,
// keeping the body's form token.
func (f *formClient) do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfPattern.FindSubmatch(b); m != nil {
		f.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

func (f *formClient) get(t *testing.T, pathQuery string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.base+pathQuery, nil)
	return f.do(t, req)
}

func (f *formClient) post(t *testing.T, path string, vals url.Values) (int, string, string) {
	t.Helper()
	vals.Set("csrf", f.csrf)
	req, _ := http.NewRequest("POST", f.base+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(t, req)
}

// portalLDAPSite is otpgate serve with primary = "ldap" against slapd, the
// portal on [web] over TLS, and [oob] sending through Postfix; alice has an
// HOTP token (the RFC 4226 test key).
type portalLDAPSite struct {
	*ldapSite
	postfix *testpeer.Postfix
	ca      *webtest.CA
	d       *daemonProc
	url     string
}

func startPortalLDAP(t *testing.T) *portalLDAPSite {
	t.Helper()
	s := &portalLDAPSite{ldapSite: newLDAPSite(t), postfix: testpeer.StartPostfix(t), ca: webtest.NewCA(t)}
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", s.db)
	_, certFile, keyFile := s.ca.Issue(t, s.dir)
	s.write(t, "vpn.secret", "a-shared-secret-of-some-length\n")
	s.d = startServe(t, s.dir, serveConfig(s.dir, s.db, "append")+fmt.Sprintf(`[auth]
primary = "ldap"
[web]
listen = "127.0.0.1:0"
cert_file = %q
key_file = %q
[portal]
enabled = true
`, certFile, keyFile)+ldapTOML(s.slapd, filepath.Join(s.dir, "ldap.pw"))+oobTOML(s.postfix))
	s.url = "https://" + (&webSite{d: s.d}).webAddr(t)
	return s
}

// TestPortalSignInLDAP: the portal's sign-in goes through the daemon's
// login service with primary = "ldap": alice's directory password, under
// any spelling of her name, then her token's code; a wrong directory
// password and a user outside the vpn group are refused.
func TestPortalSignInLDAP(t *testing.T) {
	s := startPortalLDAP(t)
	for _, tc := range []struct{ user, password string }{{"alice", "wrong-pw"}, {"bob", "bob-pw"}, {"alice", ""}} {
		f := newFormClient(t, s.ca, s.url)
		f.get(t, "/signin")
		if code, _, _ := f.post(t, "/signin", url.Values{"user": {tc.user}, "password": {tc.password}}); code != http.StatusUnauthorized {
			t.Errorf("sign-in as %q with %q = %d; want 401", tc.user, tc.password, code)
		}
	}
	f := newFormClient(t, s.ca, s.url)
	f.get(t, "/signin")
	code, path, _ := f.post(t, "/signin", url.Values{"user": {`EXAMPLE\alice`}, "password": {"alice-pw"}})
	if code != http.StatusOK || path != "/signin/code" {
		t.Fatalf("sign-in with the directory password = %d at %s; want the code page; daemon log:\n%s", code, path, s.d.logText)
	}
	code, path, body := f.post(t, "/signin/code", url.Values{"code": {rfc4226Codes[0]}})
	if code != http.StatusOK || path != "/" || !strings.Contains(body, `class="signout"`) {
		t.Errorf("the code = %d at %s; want signed in:\n%s\ndaemon log:\n%s", code, path, body, s.d.logText)
	}
	r := mustRun(t, "", "audit", "--db", s.db)
	if !strings.Contains(r.stdout, `given as EXAMPLE\\alice`) {
		t.Errorf("audit lacks the name as given:\n%s", r.stdout)
	}
}

// TestInviteSend: otpgate invite --send mails the link through Postfix to
// the directory's mail, or to an email token's address before it; the
// link is in the message only (not on the terminal, in the daemon's log
// or the audit trail), and it works: opened with the directory password,
// it starts a session that may enroll. A user with no address, and a site
// without an SMTP relay, are refused with nothing made.
func TestInviteSend(t *testing.T) {
	s := startPortalLDAP(t)
	// In a process of its own, on the real clock that the daemon checks
	// the link's expiry with.
	invite := func(user string) result {
		cmd := otpgateCmd("invite", user, "--send", "--url", s.url, "--config", s.cfg)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		cmd.Run()
		return result{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
	}
	r := invite(`EXAMPLE\alice`)
	if r.code != 0 || r.stdout != "sent an enrollment link for alice to a***@example.org by smtp\n" || !strings.Contains(r.stderr, "hint: it works once") {
		t.Fatalf("invite alice --send = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	link := regexp.MustCompile(`https://\S+/invite\?code=([A-Z0-9]+)`).FindStringSubmatch(s.postfix.WaitMail(t, "alice@example.org", 1)[0].Body)
	if link == nil || !strings.HasPrefix(link[0], s.url+"/invite?code=") {
		t.Fatalf("no link to %s in the message: %v", s.url, link)
	}
	f := newFormClient(t, s.ca, s.url)
	if code, _, body := f.get(t, "/invite?code="+link[1]); code != http.StatusOK || !strings.Contains(body, `action="/invite"`) {
		t.Fatalf("GET the link = %d:\n%s", code, body)
	}
	code, path, body := f.post(t, "/invite", url.Values{"code": {link[1]}, "user": {"alice"}, "password": {"alice-pw"}})
	if code != http.StatusOK || path != "/" || !strings.Contains(body, `action="/enroll"`) {
		t.Errorf("the link with the directory password = %d at %s; want a page that enrolls:\n%s", code, path, body)
	}

	if r := invite("bob"); r.code != 1 || !strings.HasPrefix(r.stderr, `otpgate: error: admin: no mail address to send to: "bob" has no email token and no mail attribute`) {
		t.Errorf("invite bob --send = %d, %q; want a refusal", r.code, r.stderr)
	}
	mustRun(t, "", "enroll", "alice", "--type", "email", "--address", "alice.private@example.net", "--config", s.cfg)
	if r := invite("alice"); r.code != 0 || !strings.Contains(r.stdout, "to a***@example.net by smtp") {
		t.Errorf("invite alice --send with an email token = %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	second := regexp.MustCompile(`code=([A-Z0-9]+)`).FindStringSubmatch(s.postfix.WaitMail(t, "alice.private@example.net", 1)[0].Body)
	if second == nil {
		t.Fatal("no link in the message to the token's address")
	}
	noRelay := s.write(t, "norelay.toml", fmt.Sprintf("db = %q\n", s.db)+ldapTOML(s.slapd, filepath.Join(s.dir, "ldap.pw")))
	if r := otpgate(t, "", nil, "invite", "alice", "--send", "--url", s.url, "--config", noRelay); r.code != 1 || !strings.Contains(r.stderr, "mail addresses need [oob.smtp]") {
		t.Errorf("invite --send without [oob.smtp] = %d, %q", r.code, r.stderr)
	}

	st, err := sqlite.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sends, invites := 0, 0
	for _, e := range evs {
		for _, secret := range []string{link[1], second[1]} {
			if strings.Contains(fmt.Sprint(e), secret) {
				t.Errorf("audit event %+v holds a link", e)
			}
		}
		switch {
		case e.Action == store.ActionOOBInvite && e.Result == store.ResultOK:
			sends++
		case e.Action == "invite":
			invites++
		}
	}
	if sends != 2 || invites != 2 {
		t.Errorf("the trail has %d invitations sent and %d made; want 2 and 2 (none for bob or without a relay)", sends, invites)
	}
	if strings.Contains(s.d.logText.String(), link[1]) {
		t.Errorf("the daemon's log holds the link")
	}
}
