//go:build linux

package e2e

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// TestManagementMode: no scripts; otpgate answers --management-client-auth
// over a password-protected Unix socket, for every challenge style, pushes
// and accepts its auth token on REAUTH, and reconnects when OpenVPN
// restarts.
func TestManagementMode(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	sock, pwFile := l.path("server.sock"), l.path("mgmt.pw")
	if err := os.WriteFile(pwFile, []byte("mgmt-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := []string{"management " + sock + " unix " + pwFile, "management-client-auth", "reneg-sec 6"}
	l.startServer(conf...)
	mlog := l.runManagement(sock, "mgmt-pw")

	// Each login takes the next period's code: the service refuses a code
	// twice, and so a second login within one period.
	valid := func() *mgmt.Client {
		l.svc.advance(t, 30*time.Second)
		return &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText,
			Code: codes(func(int) string { return l.svc.code(t, "alice", 0) })}
	}
	l.wantHelperConnected(l.helperClient("crtext", valid()))
	wrongCodes := valid()
	wrongCodes.Code = codes(func(int) string { return wrong(l.svc.code(t, "alice", 1)) })
	l.wantHelperRefused(l.helperClient("wrong", wrongCodes))
	l.wantHelperConnected(l.helperClient("static", valid(), "--static-challenge", "Enter your code", "1"))
	l.wantHelperConnected(l.helperClient("crv1", valid(), "--setenv", "IV_SSO", "webauth"))

	r := l.startHelper("reauth", valid())
	l.stayUpLog(r, mlog, "event=REAUTH", 1)

	l.srv.stop()
	l.startServer(conf...)
	l.wantHelperConnected(l.helperClient("restarted", valid()))

	log := readFile(t, mlog)
	for _, want := range []string{
		`msg="mgmt: pending" cid=`, "event=CR_RESPONSE", `why="wrong code"`,
		`why="auth token of session`, "management interface lost; reconnecting",
		`"mgmt: challenge"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("management log lacks %q", want)
		}
	}
	if got := l.svc.accepted(t); got != 5 {
		t.Errorf("service accepted %d codes; want 5", got)
	}
}

// runManagement runs mgmt.Server against the socket until the test ends and
// returns the path of its log.
func (l *lab) runManagement(sock, password string) string {
	l.t.Helper()
	key, err := authtoken.LoadKey(l.tokenKey())
	if err != nil {
		l.t.Fatal(err)
	}
	path := l.path("mgmt.log")
	f, err := os.Create(path)
	if err != nil {
		l.t.Fatal(err)
	}
	srv := &mgmt.Server{
		Auth:       &openvpn.Authenticator{Service: l.svc, Config: openvpn.DefaultConfig(), Tokens: key},
		Dial:       func(ctx context.Context) (net.Conn, error) { return mgmt.Dial(ctx, sock) },
		Password:   password,
		Log:        slog.New(slog.NewTextHandler(f, nil)),
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second,
	}
	ctx, cancel := context.WithCancel(l.ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	l.t.Cleanup(func() {
		cancel()
		<-done
		f.Close()
	})
	return path
}

// stayUpLog is stayUp for a marker in another log.
func (l *lab) stayUpLog(r *helperRun, path, marker string, n int) {
	l.t.Helper()
	select {
	case <-r.connected:
	case err := <-r.errc:
		l.t.Fatalf("client did not connect: %v", err)
	case <-l.ctx.Done():
		l.t.Fatal("client did not connect in time")
	}
	for strings.Count(readFile(l.t, path), marker) < n {
		select {
		case <-l.ctx.Done():
			l.t.Fatalf("%s has no %q", path, marker)
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.p.stop()
	<-r.errc
	if strings.Contains(r.p.text(), refusedLine) {
		l.t.Errorf("client was refused during renegotiation")
	}
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClientHelperTokenSpec: the helper with codes from internal/client, as
// `otpgate openvpn client` wires it, brings a client up.
func TestClientHelperTokenSpec(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.startServer(l.scripts(openvpn.StyleCRText)...)
	tok, err := client.Open(client.Source{Secret: l.svc.otpauthURI(t, "alice")})
	if err != nil {
		t.Fatal(err)
	}
	c := &mgmt.Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRText,
		Code: func(_ context.Context, attempt int) (string, error) {
			res, err := tok.Codes(client.Query{Now: time.Now(), Next: attempt > 1})
			if err != nil {
				return "", err
			}
			return res.Codes[0].Code, nil
		}}
	l.wantHelperConnected(l.helperClient("tokenspec", c))
}
