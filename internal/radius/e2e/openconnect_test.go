package e2e

import (
	"encoding/base32"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/radius"
)

// These tests log in with openconnect --authenticate through ocserv, whose
// RADIUS client (libradcli 1.2 in Debian 12) sends no Message-Authenticator:
// its NAS entry must allow that (TestOcservNeedsLegacySwitch shows why).
// radcli does not check the Message-Authenticator of our replies either
// ("ignoring server's value 80" in ocserv's log), but does check the
// Response Authenticator.

const radiusTimeout = 5 // seconds radcli waits for each answer

// ocservComplete is what ocserv's sec-mod logs when RADIUS accepted a user.
const ocservComplete = "auth complete for user '" + testUser + "'"

// wantLoggedIn checks openconnect's exit status and the cookie it prints.
func wantLoggedIn(t *testing.T, o *ocserv, l login) {
	t.Helper()
	if l.exit != 0 {
		t.Errorf("openconnect exited with %d; want 0", l.exit)
	}
	if !strings.Contains(l.stdout, "COOKIE='") || strings.Contains(l.stdout, "COOKIE=''") {
		t.Errorf("openconnect printed no cookie")
	}
	if !strings.Contains(l.stdout, "FINGERPRINT='"+o.pin+"'") {
		t.Errorf("openconnect did not print the pinned fingerprint %s", o.pin)
	}
}

// What openconnect shows when ocserv refuses: after an Access-Reject to
// the first round ocserv offers the password form again (up to three
// tries; openconnect --non-inter then gives up), after one to the answer
// of a challenge it ends the login.
const (
	refusedRetry = "Login failed"
	refusedFinal = "HTTP/1.1 401 Authentication failed"
)

// wantRefused checks that openconnect gave up without a cookie after
// ocserv said how.
func wantRefused(t *testing.T, l login, how string) {
	t.Helper()
	if l.exit == 0 || strings.Contains(l.stdout, "COOKIE=") {
		t.Errorf("openconnect exited with %d and stdout %q; want a failure and no cookie", l.exit, redactCookie(l.stdout))
	}
	if !strings.Contains(l.stderr, how) {
		t.Errorf("openconnect did not show %q:\n%s", how, l.stderr)
	}
}

func (o *ocserv) completions() int { return strings.Count(o.text(), ocservComplete) }

// TestOpenconnectAppended: password and code in the one password prompt.
func TestOpenconnectAppended(t *testing.T) {
	s := startStack(t, auth.Appended, true)
	o := startOcserv(t, s, radiusTimeout)
	wantLoggedIn(t, o, o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin"))
	if n := o.completions(); n != 1 {
		t.Errorf("ocserv logged %q %d times; want 1", ocservComplete, n)
	}
	s.wantAudit("verify:ok")
}

// TestOpenconnectRefusals: a wrong code is refused, a valid one accepted,
// and the same valid code in a second login refused as a replay.
func TestOpenconnectRefusals(t *testing.T) {
	s := startStack(t, auth.Appended, true)
	o := startOcserv(t, s, radiusTimeout)
	code := s.code(0)
	wantRefused(t, o.openconnect(testPassword+s.wrongCode()+"\n", "--passwd-on-stdin"), refusedRetry)
	wantLoggedIn(t, o, o.openconnect(testPassword+code+"\n", "--passwd-on-stdin"))
	wantRefused(t, o.openconnect(testPassword+code+"\n", "--passwd-on-stdin"), refusedRetry)
	if n := o.completions(); n != 1 {
		t.Errorf("ocserv logged %q %d times; want 1", ocservComplete, n)
	}
	s.wantAudit("verify:fail", "verify:ok", "verify:replay")
}

// TestOpenconnectChallenge: the password, then ocserv shows our
// Reply-Message in a second form and the code goes back with the State.
func TestOpenconnectChallenge(t *testing.T) {
	s := startStack(t, auth.Challenge, true)
	o := startOcserv(t, s, radiusTimeout)
	l := o.openconnect(testPassword+"\n"+s.code(0)+"\n", "--passwd-on-stdin")
	wantLoggedIn(t, o, l)
	if !strings.Contains(l.stderr, testPrompt) {
		t.Errorf("openconnect did not show the prompt %q:\n%s", testPrompt, l.stderr)
	}
	if !strings.Contains(o.text(), "radius-auth: Access-Challenge response") {
		t.Errorf("ocserv did not log the Access-Challenge")
	}
	s.wantAudit("verify:ok")
}

// TestOpenconnectChallengeWrongCode: a wrong code in the second round is
// refused, and the challenge it answered cannot be answered again.
func TestOpenconnectChallengeWrongCode(t *testing.T) {
	s := startStack(t, auth.Challenge, true)
	o := startOcserv(t, s, radiusTimeout)
	wantRefused(t, o.openconnect(testPassword+"\n"+s.wrongCode()+"\n", "--passwd-on-stdin"), refusedFinal)
	if n := o.completions(); n != 0 {
		t.Errorf("ocserv logged %q %d times; want 0", ocservComplete, n)
	}
	s.wantAudit("verify:fail")
}

// TestOpenconnectTokenMode is how a user really logs in: openconnect
// generates the TOTP code itself (--token-mode totp) and fills it into
// ocserv's challenge form, whose field is named secondary_password, the
// name openconnect fills with a generated code.
func TestOpenconnectTokenMode(t *testing.T) {
	s := startStack(t, auth.Challenge, true)
	o := startOcserv(t, s, radiusTimeout)
	secret := "base32:" + base32.StdEncoding.EncodeToString(s.key)
	l := o.openconnect(testPassword+"\n", "--passwd-on-stdin", "--token-mode", "totp", "--token-secret", secret)
	wantLoggedIn(t, o, l)
	s.wantAudit("verify:ok")
}

// TestOcservNeedsLegacySwitch: by default a request without a
// Message-Authenticator is dropped, so ocserv (radcli 1.2) gets no answer
// and the login fails until its client entry allows the omission.
func TestOcservNeedsLegacySwitch(t *testing.T) {
	s := startStack(t, auth.Appended, false)
	o := startOcserv(t, s, 1)
	wantRefused(t, o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin"), refusedRetry)
	if !strings.Contains(o.text(), "no reply from RADIUS auth server") {
		t.Errorf("ocserv did not log radcli's timeout")
	}
	s.waitLog("reason=missing_message_authenticator")
	s.wantAudit()
}

// TestOcservServersFileTakesNoPort: radcli's servers file names a server
// without a port (docs/radius.md says so); written as host:port, as
// authserver is, it holds no secret for the server.
func TestOcservServersFileTakesNoPort(t *testing.T) {
	s := startStack(t, auth.Appended, true)
	o := startOcservServers(t, s, 1, s.addr.String())
	wantRefused(t, o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin"), refusedRetry)
	if want := "couldn't find RADIUS server " + s.addr.Addr().String(); !strings.Contains(o.text(), want) {
		t.Errorf("ocserv did not log radcli's %q", want)
	}
	if n := s.srv.Metrics().Requests["Access-Request"]; n != 0 {
		t.Errorf("otpgate received %d Access-Requests; want 0", n)
	}
	s.wantAudit()
}

// TestOcservRetransmit: radcli resends the same request (same source port,
// Identifier and Request Authenticator) when no answer came within
// radius_timeout. The first login is held until otpgate has dropped such a
// retransmission as a duplicate of the request in flight; the user still
// logs in, and the code was verified once.
func TestOcservRetransmit(t *testing.T) {
	s := newStack(t)
	s.svc = &holdFirst{Service: s.svc, release: func() bool {
		return s.srv.Metrics().Drops[radius.DropDuplicate.String()] >= 1
	}}
	s.serve(auth.Appended, true)
	o := startOcserv(t, s, 1)
	wantLoggedIn(t, o, o.openconnect(testPassword+s.code(0)+"\n", "--passwd-on-stdin"))
	if m := s.srv.Metrics(); m.Accepts != 1 || m.Drops[radius.DropDuplicate.String()] < 1 {
		t.Errorf("Metrics() Accepts = %d, duplicates dropped = %d; want 1, at least 1", m.Accepts, m.Drops[radius.DropDuplicate.String()])
	}
	s.wantAudit("verify:ok")
}
