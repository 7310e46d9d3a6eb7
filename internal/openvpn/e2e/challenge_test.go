//go:build linux

package e2e

import (
	"context"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// challengeCases runs the valid, replayed, wrong and late cases of a style
// against a running server, each with a client driven by the helper (extra:
// more client options). Late is an expired challenge for the challenge
// styles and a code three periods old otherwise.
func challengeCases(t *testing.T, l *lab, expire bool, extra ...string) {
	t.Helper()
	user := func() *mgmt.Client {
		return &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText}
	}
	var used string
	c := user()
	c.Code = codes(func(int) string { used = l.svc.code(t, "alice", 0); return used })
	l.wantHelperConnected(l.helperClient("valid", c, extra...))

	c = user()
	c.Code = codes(func(int) string { return used })
	l.wantHelperRefused(l.helperClient("replayed", c, extra...))

	c = user()
	c.Code = codes(func(int) string { return wrong(l.svc.code(t, "alice", 1)) })
	l.wantHelperRefused(l.helperClient("wrong", c, extra...))
	l.wantServerLog(`why="replayed code"`, `why="wrong code"`)

	if !expire {
		c = user()
		c.Code = codes(func(int) string { return l.svc.code(t, "alice", -3) })
		l.wantHelperRefused(l.helperClient("late", c, extra...))
	}
	if expire {
		c = user()
		c.Code = codes(func(int) string {
			l.svc.advance(t, 301*time.Second)
			return l.svc.code(t, "alice", 0)
		})
		l.wantHelperRefused(l.helperClient("expired", c, extra...))
		l.wantServerLog(`why="challenge expired"`)
	}
	if got := l.svc.accepted(t); got != 1 {
		t.Errorf("service accepted %d codes; want 1", got)
	}
}

// TestCRText: the password first, then the code through a crtext pending
// challenge (auth_pending_file, exit 2) answered by client-crresponse.
func TestCRText(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCRText)...)
	challengeCases(t, l, true)
	if countLog(l.srv, "SENT CONTROL [client]: 'INFO_PRE,CR_TEXT:R,E:Please enter your TOTP code'") == 0 {
		t.Errorf("server never sent the crtext challenge")
	}
}

// TestCRV1: the code through a CRV1 dynamic challenge.
func TestCRV1(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCRV1)...)
	challengeCases(t, l, true)
	if countLog(l.srv, "'AUTH_FAILED,CRV1:R,E:") == 0 {
		t.Errorf("server never sent a CRV1 challenge")
	}
}

// TestCRTextFallback: a client without IV_SSO=crtext gets a CRV1 challenge
// from a crtext server.
func TestCRTextFallback(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCRText)...)
	c := &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText,
		Code: codes(func(int) string { return l.svc.code(t, "alice", 0) })}
	// A later --setenv overrides the one of ClientFlags.
	l.wantHelperConnected(l.helperClient("nosso", c, "--setenv", "IV_SSO", "webauth"))
	if countLog(l.srv, "'AUTH_FAILED,CRV1:R,E:") == 0 {
		t.Errorf("server did not fall back to CRV1")
	}
}

// TestStatic: the static challenge, SCRV1:base64(password):base64(code).
func TestStatic(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleStatic)...)
	challengeCases(t, l, false, "--static-challenge", "Enter your code", "1")
}

// TestHelperPrompts: after two refused codes the helper asks the user, and
// the user's code gets in.
func TestHelperPrompts(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCRText)...)
	var prompted string
	c := &mgmt.Client{Username: "alice", Password: "secret",
		Code: codes(func(int) string { return wrong(l.svc.code(t, "alice", 0)) }),
		Prompt: func(_ context.Context, text string, echo bool) (string, error) {
			prompted = text
			return l.svc.code(t, "alice", 0), nil
		}}
	l.wantHelperConnected(l.helperClient("prompted", c))
	if prompted != auth.DefaultPrompt {
		t.Errorf("prompt text = %q; want %q", prompted, auth.DefaultPrompt)
	}
	if got := countLog(l.srv, `why="wrong code"`); got != 2 {
		t.Errorf("server refused %d codes; want 2 (the automatic attempts)", got)
	}
}
