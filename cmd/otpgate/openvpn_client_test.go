package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// fakeMgmt is the OpenVPN client end of a management connection, listening
// on a Unix socket and scripted by a test.
type fakeMgmt struct {
	conn net.Conn
	r    *bufio.Reader
}

func (f *fakeMgmt) send(lines ...string) error {
	f.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(f.conn, strings.Join(lines, "\r\n")+"\r\n")
	return err
}

func (f *fakeMgmt) recv() (string, error) {
	f.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := f.r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

func (f *fakeMgmt) expect(want string) error {
	got, err := f.recv()
	if err != nil {
		return fmt.Errorf("waiting for %q: %w", want, err)
	}
	if got != want {
		return fmt.Errorf("command = %q; want %q", got, want)
	}
	return nil
}

// handshake plays OpenVPN's greeting and hold.
func (f *fakeMgmt) handshake() error {
	if err := f.send(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info"); err != nil {
		return err
	}
	if err := f.expect("state on"); err != nil {
		return err
	}
	if err := f.send("SUCCESS: real-time state notification set to ON", ">HOLD:Waiting for hold release:0"); err != nil {
		return err
	}
	return f.expect("hold release")
}

// credentials answers prompt (a >PASSWORD: payload) and returns the
// username and password otpgate sent.
func (f *fakeMgmt) credentials(prompt string) (user, password string, err error) {
	if err := f.send(">PASSWORD:" + prompt); err != nil {
		return "", "", err
	}
	u, err := f.recv()
	if err != nil {
		return "", "", err
	}
	p, err := f.recv()
	if err != nil {
		return "", "", err
	}
	return unquoteCmd(u, `username "Auth" `), unquoteCmd(p, `password "Auth" `), nil
}

func unquoteCmd(line, prefix string) string {
	v, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "<" + line + ">"
	}
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(strings.Trim(v, `"`))
}

func (f *fakeMgmt) connected() error {
	return f.send(">STATE:1700000000,CONNECTED,SUCCESS,10.8.0.6,192.0.2.1,1194,,")
}

// startFakeMgmt listens on a Unix socket and runs script on the first
// connection; the returned channel gives script's result.
func startFakeMgmt(t *testing.T, script func(*fakeMgmt) error) (string, <-chan error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mgmt.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		done <- script(&fakeMgmt{conn: conn, r: bufio.NewReader(conn)})
	}()
	return path, done
}

// vpnClient runs `otpgate openvpn client` in-process at time at; the
// terminal answers the prompts in answers and has nothing for the others.
func vpnClient(t *testing.T, at time.Time, vars, answers map[string]string, args ...string) result {
	t.Helper()
	e, out, errb := testEnv("", vars)
	e.now = func() time.Time { return at }
	e.readPassword = func(prompt string) ([]byte, error) {
		if a, ok := answers[prompt]; ok {
			return []byte(a), nil
		}
		return nil, errors.New("no terminal to ask for it on")
	}
	code := run(append([]string{"openvpn", "client"}, args...), e)
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenVPNClientUsage(t *testing.T) {
	base := []string{"--management", "/nonexistent/otpgate.sock", "--user", "alice", "--token-mode", "totp", "--token-secret", string(rfcKey)}
	with := func(extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	vars := map[string]string{"OTPGATE_PASSWORD": "vpn-pass"}
	exposed := writeFile(t, "vpn.pass", "vpn pass\n")
	if err := os.Chmod(exposed, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		vars map[string]string
		code int
		want string
	}{
		{[]string{"--help"}, nil, 0, ""},
		{[]string{"--user", "alice"}, nil, 2, "--management ADDR is required"},
		{[]string{"--management", "/x.sock"}, nil, 2, "--user NAME is required"},
		{[]string{"--management", "/x.sock", "--user", "al\nice", "--token-secret", string(rfcKey)}, nil, 2, "--user must be"},
		{with("--style", "sso"), vars, 2, `unknown --style "sso"`},
		{with("--token-mode", "motp"), vars, 2, `unknown token mode "motp"`},
		{with("--token-mode", "rsa", "--digits", "8"), vars, 2, "--digits and --period come from the token"},
		{with("extra"), vars, 2, `unexpected argument "extra"`},
		{with("--time", "1"), vars, 2, "flag provided but not defined: -time"},
		{[]string{"--management", "/x.sock", "--user", "alice", "--token-mode", "totp"}, vars, 2, "no token secret given"},
		{with(), nil, 1, "no VPN password given: no terminal to ask for it on"},
		{with("--password-file", "/nonexistent/pass"), nil, 1, "no such file"},
		{with("--password-file", exposed), nil, 1, "mode 0644: group or others may read or write it; fix it with: chmod 600 " + exposed},
		{with("--management-password-file", exposed), vars, 1, "mode 0644"},
		{with("--token-secret", "0x123"), vars, 1, "odd number of digits"},
		{with("--token-secret", "@/nonexistent/token"), vars, 1, "no such file"},
		{with(), vars, 1, "cannot reach the management interface /nonexistent/otpgate.sock"},
	}
	for _, tt := range tests {
		r := vpnClient(t, time.Unix(59, 0), tt.vars, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("otpgate openvpn client %q = %d, stderr %q; want %d, %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
		if tt.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("otpgate openvpn client %q: stderr has more than an error and a hint:\n%s", tt.args, r.stderr)
		}
		if tt.code == 0 && !strings.Contains(r.stdout, "--management ADDR") {
			t.Errorf("otpgate openvpn client --help printed %q", r.stdout)
		}
	}
}

// TestOpenVPNClientStatic: a protected management interface, then a static
// challenge answered with SCRV1 and the TOTP code of the clock; exit 0 on
// CONNECTED, and neither password nor code on standard error.
func TestOpenVPNClientStatic(t *testing.T) {
	at := time.Unix(1111111109, 0)
	want := otp.Generate(rfcKey, otp.DefaultParams().Step(at), otp.DefaultParams())
	sock, done := startFakeMgmt(t, func(f *fakeMgmt) error {
		io.WriteString(f.conn, "ENTER PASSWORD:") // no line end, as OpenVPN
		if err := f.expect("mgmt-pass"); err != nil {
			return err
		}
		f.send("SUCCESS: password is correct")
		if err := f.handshake(); err != nil {
			return err
		}
		user, pw, err := f.credentials("Need 'Auth' username/password SC:1,Enter your code")
		if err != nil {
			return err
		}
		if got := openvpn.FormatSCRV1("vpn pass", want); user != "alice" || pw != got {
			return fmt.Errorf("sent %q, %q; want alice, %q", user, pw, got)
		}
		return f.connected()
	})
	r := vpnClient(t, at, nil, nil, "--management", sock, "--management-password-file", writeFile(t, "mp", "mgmt-pass\n"),
		"--user", "alice", "--password-file", writeFile(t, "pw", "vpn pass\n"), "--token-mode", "totp", "--token-secret", string(rfcKey))
	if err := <-done; err != nil {
		t.Errorf("fake OpenVPN: %v", err)
	}
	if r.code != 0 || r.stdout != "" {
		t.Errorf("otpgate openvpn client = %d, %q, %q; want 0 and no output", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "vpn pass") {
		t.Errorf("stderr %q shows a secret", r.stderr)
	}
}

// crv1Round answers the plain prompt with the password, gets a CRV1
// challenge back and returns the answer to it.
func crv1Round(f *fakeMgmt, state string) (string, error) {
	if _, pw, err := f.credentials("Need 'Auth' username/password"); err != nil || pw != "secret" {
		return "", fmt.Errorf("first prompt: password %q, %v; want the VPN password", pw, err)
	}
	ch := openvpn.CRV1{Response: true, Echo: true, StateID: state, User: "alice", Text: "Enter your \x1b[2Jcode"}
	f.send(">PASSWORD:Verification Failed: 'Auth' ['"+ch.String()+"']", ">STATE:2,RECONNECTING,auth-failure,,,,,", ">HOLD:Waiting for hold release:1")
	if err := f.expect("hold release"); err != nil {
		return "", err
	}
	user, pw, err := f.credentials("Need 'Auth' username/password")
	if user != "alice" {
		return "", fmt.Errorf("CRV1 answer for user %q; want alice", user)
	}
	return pw, err
}

// refuse sends a plain refusal and the restart that follows it.
func (f *fakeMgmt) refuse() error {
	f.send(">PASSWORD:Verification Failed: 'Auth'", ">STATE:3,RECONNECTING,auth-failure,,,,,", ">HOLD:Waiting for hold release:2")
	return f.expect("hold release")
}

// TestOpenVPNClientCRV1HOTP: two CRV1 challenges answered with HOTP codes
// from a token file, both refused; the third is asked on the terminal, or,
// without one, OpenVPN is stopped and otpgate exits 1. The file's counter
// advances only for the two codes sent.
func TestOpenVPNClientCRV1HOTP(t *testing.T) {
	hotp := func(c uint64) string { return otp.Generate(rfcKey, c, otp.DefaultParams()) }
	for _, terminal := range []bool{false, true} {
		token := writeFile(t, "vpn.hotp", string(rfcKey)+",5\n")
		sock, done := startFakeMgmt(t, func(f *fakeMgmt) error {
			if err := f.handshake(); err != nil {
				return err
			}
			for i, want := range []string{hotp(5), hotp(6)} {
				pw, err := crv1Round(f, "st"+strconv.Itoa(i))
				if err != nil {
					return err
				}
				if pw != openvpn.FormatCRV1Answer("st"+strconv.Itoa(i), want) {
					return fmt.Errorf("attempt %d: password %q; want the CRV1 answer with HOTP code %s", i+1, pw, want)
				}
				if err := f.refuse(); err != nil {
					return err
				}
			}
			pw, err := crv1Round(f, "st2")
			if !terminal {
				if err == nil {
					return fmt.Errorf("a third code %q was sent with no terminal", pw)
				}
				return nil
			}
			if err != nil || pw != "CRV1::st2::777777" {
				return fmt.Errorf("third attempt: %q, %v; want the typed code", pw, err)
			}
			return f.connected()
		})
		var answers map[string]string
		if terminal {
			answers = map[string]string{"Enter your ?[2Jcode: ": "777777"} // no escape reaches the terminal
		}
		r := vpnClient(t, time.Unix(59, 0), map[string]string{"OTPGATE_PASSWORD": "secret"}, answers,
			"--management", sock, "--user", "alice", "--token-mode", "hotp", "--token-secret", "@"+token)
		if err := <-done; err != nil {
			t.Errorf("terminal %v: fake OpenVPN: %v", terminal, err)
		}
		wantCode, wantErr := 0, ""
		if !terminal {
			wantCode, wantErr = 1, "otpgate: error: openvpn client: the VPN server refused the login (AUTH_FAILED)"
		}
		if r.code != wantCode || !strings.Contains(r.stderr, wantErr) || strings.Count(r.stderr, "\n") > 2 {
			t.Errorf("terminal %v: otpgate openvpn client = %d, %q; want %d, %q", terminal, r.code, r.stderr, wantCode, wantErr)
		}
		if b, _ := os.ReadFile(token); string(b) != string(rfcKey)+",7\n" {
			t.Errorf("terminal %v: token file holds %q; want counter 7 (two codes sent)", terminal, b)
		}
	}
}

// TestOpenVPNClientGoesAway: OpenVPN exits before connecting.
func TestOpenVPNClientGoesAway(t *testing.T) {
	sock, done := startFakeMgmt(t, func(f *fakeMgmt) error { return f.handshake() })
	r := vpnClient(t, time.Unix(59, 0), map[string]string{"OTPGATE_PASSWORD": "secret"}, nil,
		"--management", sock, "--user", "alice", "--token-mode", "totp", "--token-secret", string(rfcKey))
	<-done
	if r.code != 1 || !strings.Contains(r.stderr, "OpenVPN exited before connecting") {
		t.Errorf("otpgate openvpn client = %d, %q; want 1 and \"OpenVPN exited before connecting\"", r.code, r.stderr)
	}
}

// crtextCode plays the password prompt and a crtext challenge, and returns
// the code otpgate answered with.
func crtextCode(f *fakeMgmt, password string) (string, error) {
	if err := f.handshake(); err != nil {
		return "", err
	}
	if _, pw, err := f.credentials("Need 'Auth' username/password"); err != nil || pw != password {
		return "", fmt.Errorf("password %q, %v; want the VPN password", pw, err)
	}
	f.send(">INFOMSG:" + openvpn.CRText{Response: true, Echo: true, Text: "Enter your code"}.String())
	line, err := f.recv()
	if err != nil {
		return "", err
	}
	b64, ok := strings.CutPrefix(line, "cr-response ")
	code, derr := base64.StdEncoding.DecodeString(b64)
	if !ok || derr != nil {
		return "", fmt.Errorf("answer %q is not cr-response BASE64", line)
	}
	return string(code), f.connected()
}

// TestOpenVPNClientRSA: the code sent for a crtext challenge in --token-mode
// rsa is the one `stoken tokencode` gives for the same password-protected
// token at the same time. (The e2e server checks only OATH codes, so this is
// how the rsa path of the helper is proven.)
func TestOpenVPNClientRSA(t *testing.T) {
	s := newStoken(t)
	tok := s.issue(8, 60, 0, "--new-password=tok pass")
	for _, at := range rsaTimes {
		want := s.run("tokencode", "--token="+tok, "--password=tok pass", "--use-time="+strconv.FormatInt(at, 10))
		var got string
		sock, done := startFakeMgmt(t, func(f *fakeMgmt) error {
			var err error
			got, err = crtextCode(f, "secret")
			return err
		})
		r := vpnClient(t, time.Unix(at, 0), map[string]string{"OTPGATE_PASSWORD": "secret"}, nil,
			"--management", sock, "--user", "alice", "--token-mode", "rsa", "--token-secret", tok,
			"--token-password-file", writeFile(t, "tokpw", "tok pass\n"))
		if err := <-done; err != nil {
			t.Errorf("at %d: fake OpenVPN: %v", at, err)
		}
		if r.code != 0 || got != want {
			t.Errorf("at %d: otpgate openvpn client = %d, %q, sent %q; stoken says %q", at, r.code, r.stderr, got, want)
		}
	}
}

// TestOpenVPNClientYubiOATH: the code sent in --token-mode yubioath comes
// from the (simulated) applet, unlocked with its password.
func TestOpenVPNClientYubiOATH(t *testing.T) {
	sim := ykoathsim.New(ykoathsim.Options{})
	s := ykoath.NewSession(sim)
	if _, err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ykoath.Account{Issuer: "VPN", Name: "alice", Type: ykoath.TOTP, Digits: 8, Period: 30 * time.Second, Algorithm: otp.SHA256, Secret: rfcKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCode([]byte("yk pass")); err != nil {
		t.Fatal(err)
	}
	openOATHCard = func() (client.Card, error) { return simCard{sim}, nil }
	t.Cleanup(func() { openOATHCard = nil })
	at := time.Unix(1111111109, 0)
	p := otp.Params{Algorithm: otp.SHA256, Digits: 8, Period: 30 * time.Second}
	want := otp.Generate(rfcKey, p.Step(at), p)
	var got string
	sock, done := startFakeMgmt(t, func(f *fakeMgmt) error {
		var err error
		got, err = crtextCode(f, "secret")
		return err
	})
	r := vpnClient(t, at, map[string]string{"OTPGATE_PASSWORD": "secret", "OTPGATE_YUBIKEY_PASSWORD": "yk pass"}, nil,
		"--management", sock, "--user", "alice", "--token-mode", "yubioath", "--token-secret", "VPN:alice")
	if err := <-done; err != nil {
		t.Errorf("fake OpenVPN: %v", err)
	}
	if r.code != 0 || got != want {
		t.Errorf("otpgate openvpn client = %d, %q, sent %q; want %q", r.code, r.stderr, got, want)
	}
}

// TestOpenVPNClientStay: with --stay, otpgate answers again after
// CONNECTED (here a re-authentication) with the spec it read once from
// standard input, and exits 0 when OpenVPN exits.
func TestOpenVPNClientStay(t *testing.T) {
	at := time.Unix(1111111109, 0)
	want := openvpn.FormatSCRV1("secret", otp.Generate(rfcKey, otp.DefaultParams().Step(at), otp.DefaultParams()))
	sock, done := startFakeMgmt(t, func(f *fakeMgmt) error {
		if err := f.handshake(); err != nil {
			return err
		}
		for i := range 2 {
			if _, pw, err := f.credentials("Need 'Auth' username/password SC:0,Code"); err != nil || pw != want {
				return fmt.Errorf("login %d: sent %q, %v; want %q", i+1, pw, err, want)
			}
			if err := f.connected(); err != nil {
				return err
			}
		}
		return nil
	})
	e, _, errb := testEnv(string(rfcKey)+"\n", map[string]string{"OTPGATE_PASSWORD": "secret"})
	e.now = func() time.Time { return at }
	code := run([]string{"openvpn", "client", "--stay", "--management", sock, "--user", "alice", "--token-mode", "totp", "--token-secret", "-"}, e)
	if err := <-done; err != nil {
		t.Errorf("fake OpenVPN: %v", err)
	}
	if code != 0 {
		t.Errorf("otpgate openvpn client --stay = %d, %q; want 0", code, errb.String())
	}
}
