//go:build linux

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/pcsc/pcsctest"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// clientCmd is one run of the built `otpgate openvpn client` against a real
// openvpn client.
type clientCmd struct {
	vpn  *proc
	err  error  // from the otpgate process
	logs string // otpgate's standard error
}

// token is how otpgate gets its codes: options and environment.
type token struct {
	args, env []string
}

// runClientCmd starts an openvpn client with mgmt.ClientFlags (plus extra)
// and the product's `otpgate openvpn client` with tok on its management
// socket, and waits for otpgate to exit. otpgate runs in a new session,
// without a terminal to ask on.
func (l *lab) runClientCmd(p *product, name string, tok token, extra ...string) clientCmd {
	l.t.Helper()
	sock := l.path(name + ".sock")
	vpn := l.start(name, l.topo.client, l.clientArgs(append(mgmt.ClientFlags(sock), extra...)...)...)
	if err := l.waitSocket(sock); err != nil {
		l.t.Fatalf("client %s: %v; its log:\n%s", name, err, vpn.text())
	}
	pw := l.path(name + ".pass")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	args := append([]string{"openvpn", "client", "--management", sock, "--user", "alice", "--password-file", pw, "--verbose"}, tok.args...)
	cmd := exec.CommandContext(l.ctx, p.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + l.dir}, tok.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	os.WriteFile(l.path(name+".otpgate.log"), []byte(stderr.String()), 0o600)
	return clientCmd{vpn: vpn, err: err, logs: stderr.String()}
}

// waitSocket waits until OpenVPN has made its management socket.
func (l *lab) waitSocket(path string) error {
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-l.ctx.Done():
			return errors.New("no management socket " + path)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wantCmdConnected checks that otpgate exited 0 and the client completed
// its initialization, then stops the client.
func (l *lab) wantCmdConnected(r clientCmd) {
	l.t.Helper()
	ok := l.waitLog(r.vpn, connectedLine)
	r.vpn.stop()
	if r.err != nil || !ok {
		l.t.Errorf("client %s: otpgate openvpn client = %v, connected %v; its stderr:\n%s", r.vpn.name, r.err, ok, r.logs)
	}
}

// totpToken writes the product's TOTP key to a token file and names it.
func totpToken(l *lab, p *product) token {
	path := l.path("alice.totp")
	if err := os.WriteFile(path, []byte("0x"+hex.EncodeToString(p.key)+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return token{args: []string{"--token-mode", "totp", "--token-secret", "@" + path}}
}

// TestClientCmdStatic: the static challenge, answered with SCRV1.
func TestClientCmdStatic(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleStatic)...)
	l.wantCmdConnected(l.runClientCmd(p, "static", totpToken(l, p), "--static-challenge", "Enter your code", "1"))
}

// TestClientCmdCRText: the crtext challenge, answered with cr-response.
func TestClientCmdCRText(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleCRText)...)
	l.wantCmdConnected(l.runClientCmd(p, "crtext", totpToken(l, p)))
	if countLog(l.srv, "CR_TEXT:R,E:") == 0 {
		t.Errorf("server never sent the crtext challenge")
	}
}

// TestClientCmdCRV1: the CRV1 dynamic challenge, answered after the
// client's reconnection.
func TestClientCmdCRV1(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleCRV1)...)
	l.wantCmdConnected(l.runClientCmd(p, "crv1", totpToken(l, p)))
	if countLog(l.srv, "'AUTH_FAILED,CRV1:R,E:") == 0 {
		t.Errorf("server never sent a CRV1 challenge")
	}
}

// TestClientCmdRefused: codes from the wrong token are refused twice; with
// no terminal to ask on, otpgate stops OpenVPN and exits 1 saying so, and
// the HOTP token file advanced once per code sent.
func TestClientCmdRefused(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	l.startServer(p.scripts(openvpn.StyleStatic)...)
	key := make([]byte, 20)
	rand.Read(key)
	file := l.path("wrong.hotp")
	if err := os.WriteFile(file, []byte("0x"+hex.EncodeToString(key)+",100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := l.runClientCmd(p, "refused", token{args: []string{"--token-mode", "hotp", "--token-secret", "@" + file}}, "--static-challenge", "Enter your code", "1")
	r.vpn.wait(l.ctx)
	var exit *exec.ExitError
	if !errors.As(r.err, &exit) || exit.ExitCode() != 1 || !strings.Contains(r.logs, "otpgate: error: openvpn client: the VPN server refused the login (AUTH_FAILED)") {
		t.Errorf("otpgate openvpn client = %v; want exit 1 and the refusal on stderr:\n%s", r.err, r.logs)
	}
	if log := r.vpn.text(); strings.Contains(log, connectedLine) || countLog(r.vpn, refusedLine) < 2 {
		t.Errorf("client was not refused twice; its log:\n%s", log)
	}
	if b, _ := os.ReadFile(file); !strings.HasSuffix(string(b), ",102\n") {
		t.Errorf("token file = %q; want counter 102 (two codes sent)", b)
	}
}

// TestClientCmdYubiOATH: --token-mode yubioath, the code read over PC/SC
// (pcscd and vsmartcard-vpcd) from the YKOATH simulator holding the
// product's key behind an applet password.
func TestClientCmdYubiOATH(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newProduct(t, l.dir)
	sim := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(sim)
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	acct := ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: p.key}
	if _, err := s.Put(acct); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCode([]byte("yk pass")); err != nil {
		t.Fatal(err)
	}
	insertCard(l, p, sim)
	l.startServer(p.scripts(openvpn.StyleCRText)...)
	yk := token{args: []string{"--token-mode", "yubioath", "--token-secret", "VPN:alice"}, env: []string{"OTPGATE_YUBIKEY_PASSWORD=yk pass"}}
	l.wantCmdConnected(l.runClientCmd(p, "yubioath", yk))
}

// insertCard serves sim on vpcd's first virtual reader (pcscd and
// vsmartcard-vpcd, started or reused by pcsctest) for the rest of the
// test, and waits until the product's `otpgate code` reads the applet.
func insertCard(l *lab, p *product, sim *ykoathsim.Applet) {
	l.t.Helper()
	pcsctest.Start(l.t)
	pcsctest.Insert(l.t, sim, func() error {
		cmd := exec.CommandContext(l.ctx, p.bin, "code", "--token-mode", "yubioath", "--token-secret", "VPN:alice")
		cmd.Env = []string{"OTPGATE_YUBIKEY_PASSWORD=yk pass"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	})
}
