//go:build linux

package e2e

import (
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// tokenKey writes an auth-token key file and returns its path.
func (l *lab) tokenKey() string {
	l.t.Helper()
	path := l.path("token.key")
	if _, err := authtoken.WriteKeyFile(path); err != nil {
		l.t.Fatal(err)
	}
	return path
}

// staticClient returns a helper client for the static challenge.
func (l *lab) staticClient() *mgmt.Client {
	return &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleStatic,
		Code: codes(func(int) string { return l.svc.code(l.t, "alice", 0) })}
}

// stayUp waits until the server log holds n lines with marker while the
// client stays connected, then stops the client.
func (l *lab) stayUp(r *helperRun, marker string, n int) {
	l.t.Helper()
	select {
	case <-r.connected:
	case err := <-r.errc:
		l.t.Fatalf("client did not connect: %v", err)
	case <-l.ctx.Done():
		l.t.Fatal("client did not connect in time")
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for countLog(l.srv, marker) < n {
		select {
		case <-l.ctx.Done():
			l.t.Fatalf("server log has %d renegotiations with %q; want %d", countLog(l.srv, marker), marker, n)
		case err := <-r.errc:
			l.t.Fatalf("client went away during renegotiation: %v", err)
		case <-tick.C:
		}
	}
	r.p.stop()
	<-r.errc
	if log := r.p.text(); strings.Contains(log, refusedLine) {
		l.t.Errorf("client was refused during renegotiation")
	}
}

// TestRenegotiationAuthToken: client-connect pushes otpgate's auth token and
// every renegotiation logs in with it, without a new code. (A reneg-sec
// shorter than the first connection, as under -race, makes OpenVPN itself
// lose track of its keys; 6 s leaves room.)
func TestRenegotiationAuthToken(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(append(l.scripts(openvpn.StyleStatic),
		"setenv "+openvpn.EnvTokenKey+" "+l.tokenKey(), "reneg-sec 6")...)
	r := l.startHelper("reneg", l.staticClient(), "--static-challenge", "Enter your code", "1")
	l.stayUp(r, `why="auth token of session`, 2)
	l.wantServerLog(`msg="auth token pushed"`)
	if got := l.svc.accepted(t); got != 1 {
		t.Errorf("service accepted %d codes; want 1 (renegotiations must not use codes)", got)
	}
}

// TestRenegotiationAuthGenToken: with OpenVPN's own auth-gen-token and
// external-auth, the verify hook accepts session_state Authenticated without
// a code, and client-connect leaves the token to OpenVPN.
func TestRenegotiationAuthGenToken(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(append(l.scripts(openvpn.StyleStatic),
		"setenv "+openvpn.EnvTokenKey+" "+l.tokenKey(),
		"auth-gen-token 0 external-auth", "reneg-sec 6", "hand-window 3")...)
	r := l.startHelper("reneg", l.staticClient(), "--static-challenge", "Enter your code", "1")
	l.stayUp(r, `why="auth-gen-token session"`, 1)
	l.wantServerLog("no otpgate auth token: --auth-gen-token pushes its own")
	if got := l.svc.accepted(t); got != 1 {
		t.Errorf("service accepted %d codes; want 1", got)
	}
}
