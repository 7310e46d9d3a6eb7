//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/otp"
)

// The management-interface mode as shipped: the built otpgate binary runs
// `otpgate serve` as its own process and answers an OpenVPN 2.6 server
// started with --management-client-auth; no script is configured, so no
// process is forked per login.

// What the daemon logs (JSON, one record a line).
const (
	serveReady        = "otpgate serve: ready"
	serveConnected    = "mgmt: connected to the management interface"
	serveLost         = "mgmt: management interface lost; reconnecting"
	serveStopping     = "otpgate serve: stopping; draining requests in flight"
	serveMgmtPassword = "e2e-management-password"
	servePassword     = "e2e-primary-password"
	serveChallenge    = "otpgate e2e: enter your code"
	serveSessionEnded = "mgmt: session ended: its renegotiation was refused"
)

// rfc4226Key is the HOTP test key of RFC 4226 appendix D; `otpgate enroll
// --rfc4226-test-key` enrolls it. HOTP makes every login's code known in
// advance, without waiting for a TOTP period.
var rfc4226Key = []byte("12345678901234567890")

// hotpCode returns the RFC 4226 test key's code for counter c.
func hotpCode(c uint64) string {
	return otp.Generate(rfc4226Key, c, otp.Params{Algorithm: otp.SHA1, Digits: 6})
}

// TestServeHOTPCodes pins hotpCode to RFC 4226 appendix D, so that the
// other tests' codes are the right ones.
func TestServeHOTPCodes(t *testing.T) {
	for c, want := range []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} {
		if got := hotpCode(uint64(c)); got != want {
			t.Errorf("hotpCode(%d) = %q; want %q", c, got, want)
		}
	}
}

// serveProduct is the built binary, a SQLite store where the binary
// enrolled alice with the RFC 4226 HOTP key, and alice's htpasswd line.
type serveProduct struct {
	bin, db, htpasswd string
}

func newServeProduct(l *lab) *serveProduct {
	l.t.Helper()
	p := &serveProduct{bin: l.path("otpgate"), db: l.path("otpgate.db"), htpasswd: l.path("users.htpasswd")}
	if out, err := noCgoBuild(p.bin).CombinedOutput(); err != nil {
		l.t.Fatalf("go build otpgate: %v\n%s", err, out)
	}
	if out, err := p.command(l, "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", p.db).CombinedOutput(); err != nil {
		l.t.Fatalf("otpgate enroll: %v\n%s", err, out)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(servePassword), bcrypt.MinCost)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(p.htpasswd, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// command is the binary with args in a clean environment: no OTPGATE_*
// variable of the caller's leaks in.
func (p *serveProduct) command(l *lab, args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + l.dir}
	cmd.Dir = l.dir
	return cmd
}

// serveConfig is the daemon's TOML for the management socket sock, in
// style, plus extra lines in [openvpn].
func (l *lab) serveConfig(p *serveProduct, sock string, style openvpn.Style, extra ...string) string {
	pw := l.path("mgmt.pw")
	if err := os.WriteFile(pw, []byte(serveMgmtPassword+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return fmt.Sprintf(`db = %q
[http]
listen = "127.0.0.1:0"
[radius]
listen = "off"
[auth]
primary = "htpasswd:%s"
challenge_text = %q
[openvpn]
management = %q
password_file = %q
style = %q
challenge_timeout = "60s"
`, p.db, p.htpasswd, serveChallenge, sock, pw, style) + strings.Join(extra, "\n") + "\n"
}

// serveServerConfig is what the OpenVPN server needs for the daemon: the
// password-protected management socket and client authentication through
// it, no script.
func (l *lab) serveServerConfig(sock string) []string {
	pw := l.path("openvpn-mgmt.pw")
	if err := os.WriteFile(pw, []byte(serveMgmtPassword+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return []string{"management " + sock + " unix " + pw, "management-client-auth"}
}

// served is one `otpgate serve` process; its log is otpgate-serve.log in
// the lab, which dumpLogs prints when the test fails.
type served struct {
	l       *lab
	cmd     *exec.Cmd
	log     string
	http    string // the metrics listener's address
	done    chan struct{}
	exitErr error
}

// serve starts `otpgate serve` with the configuration text cfg and waits
// until it is ready.
func (l *lab) serve(p *serveProduct, cfg string) *served {
	l.t.Helper()
	conf := l.path("otpgate.toml")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		l.t.Fatal(err)
	}
	s := &served{l: l, log: l.path("otpgate-serve.log"), done: make(chan struct{})}
	f, err := os.Create(s.log)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	s.cmd = p.command(l, "serve", "--config", conf, "--log-format", "json", "--log-level", "debug")
	s.cmd.Stdout, s.cmd.Stderr = f, f
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		l.t.Fatalf("start otpgate serve: %v", err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.done)
	}()
	l.t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	ready := s.waitRecord(serveReady, 1)
	s.http, _ = ready["http"].(string)
	if s.http == "" || s.http == "off" {
		l.t.Fatalf("otpgate serve is ready without an HTTP listener: %v", ready)
	}
	return s
}

// records returns the daemon's log records whose message is msg. A line
// that is not JSON is a record with that text as its message.
func (s *served) records(msg string) []map[string]any {
	f, err := os.Open(s.log)
	if err != nil {
		s.l.t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			m = map[string]any{"msg": sc.Text()}
		}
		if m["msg"] == msg {
			recs = append(recs, m)
		}
	}
	return recs
}

// waitRecord waits until the daemon has logged msg n times and returns the
// nth record. The daemon's exit or the lab's deadline fails the test.
func (s *served) waitRecord(msg string, n int) map[string]any {
	s.l.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if recs := s.records(msg); len(recs) >= n {
			return recs[n-1]
		}
		select {
		case <-s.done:
			if recs := s.records(msg); len(recs) >= n {
				return recs[n-1]
			}
			s.l.t.Fatalf("otpgate serve exited (%v) before logging %q %d times", s.exitErr, msg, n)
		case <-s.l.ctx.Done():
			s.l.t.Fatalf("otpgate serve did not log %q %d times in time", msg, n)
		case <-tick.C:
		}
	}
}

// decisions returns the daemon's mgmt decision records with verdict and
// OpenVPN event kind.
func (s *served) decisions(verdict, event string) []map[string]any {
	var out []map[string]any
	for _, r := range s.records("mgmt: " + verdict) {
		if r["event"] == event {
			out = append(out, r)
		}
	}
	return out
}

// metrics returns the daemon's /metrics page.
func (s *served) metrics() string {
	s.l.t.Helper()
	resp, err := http.Get("http://" + s.http + "/metrics")
	if err != nil {
		s.l.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.l.t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	return string(b)
}

// wantMetrics checks that /metrics holds each of lines.
func (s *served) wantMetrics(lines ...string) {
	s.l.t.Helper()
	body := s.metrics()
	for _, want := range lines {
		if !strings.Contains(body, want+"\n") {
			s.l.t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// terminate sends SIGTERM and checks that the daemon drains and exits 0,
// and that its log never held the primary password.
func (s *served) terminate() {
	s.l.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.l.t.Fatal(err)
	}
	s.waitRecord(serveStopping, 1)
	select {
	case <-s.done:
		if s.exitErr != nil {
			s.l.t.Errorf("otpgate serve after SIGTERM: %v; want exit 0", s.exitErr)
		}
	case <-s.l.ctx.Done():
		s.l.t.Fatal("otpgate serve did not exit after SIGTERM")
	}
	for _, secret := range []string{servePassword, serveMgmtPassword} {
		if strings.Contains(readFile(s.l.t, s.log), secret) {
			s.l.t.Errorf("the daemon's log holds a password")
		}
	}
}

// aliceCRText is a helper client that logs alice in with her password and
// answers the challenge with code.
func aliceCRText(code string) *mgmt.Client {
	return &mgmt.Client{Username: "alice", Password: servePassword, Style: openvpn.StyleCRText,
		Code: codes(func(int) string { return code })}
}

// TestServeCRText: the daemon answers CONNECT with client-pending-auth and
// the configured CR_TEXT challenge, the client's CR_RESPONSE with
// client-auth; a replayed and a wrong code are denied (AUTH_FAILED in the
// client's log), the static challenge logs in too; /metrics counts it all
// and SIGTERM stops the daemon cleanly.
func TestServeCRText(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	sock := l.path("server.sock")
	l.startServer(l.serveServerConfig(sock)...)
	s := l.serve(p, l.serveConfig(p, sock, openvpn.StyleCRText))
	s.waitRecord(serveConnected, 1)

	l.wantHelperConnected(l.helperClient("valid", aliceCRText(hotpCode(0))))
	if countLog(l.srv, "'INFO_PRE,CR_TEXT:R,E:"+serveChallenge+"'") == 0 {
		t.Errorf("server never sent the configured crtext challenge")
	}
	l.wantHelperRefused(l.helperClient("replayed", aliceCRText(hotpCode(0))))
	l.wantHelperConnected(l.helperClient("static", aliceCRText(hotpCode(1)), "--static-challenge", "Enter your code", "1"))
	l.wantHelperRefused(l.helperClient("wrong", aliceCRText(wrong(hotpCode(2)))))

	// A refused client's helper gives up at its third challenge.
	if got := len(s.decisions("pending", mgmt.KindConnect)); got < 5 {
		t.Errorf("daemon answered %d CONNECTs with client-pending-auth; want at least 5 (valid, replayed twice, wrong twice)", got)
	}
	if got := len(s.decisions("accept", mgmt.KindCRResponse)); got != 1 {
		t.Errorf("daemon accepted %d CR_RESPONSEs; want 1", got)
	}
	if got := len(s.decisions("accept", mgmt.KindConnect)); got != 1 {
		t.Errorf("daemon accepted %d CONNECTs; want 1 (the static challenge)", got)
	}
	l.wantServerLog("MANAGEMENT: CMD 'client-pending-auth 0 1 \"CR_TEXT:R,E:"+serveChallenge+"\" 60'",
		"MANAGEMENT: CMD 'client-auth 0 1'", `MANAGEMENT: CMD 'client-deny 1 1 "otpgate: authentication failed"'`)
	// Each refused client tried two codes.
	s.wantMetrics(`otpgate_logins_total{result="accept"} 2`, `otpgate_logins_total{result="reject"} 4`)
	s.terminate()
}

// TestServeAppend: with style "append" the code follows the password in
// the password field of a plain --auth-user-pass client.
func TestServeAppend(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	sock := l.path("server.sock")
	l.startServer(l.serveServerConfig(sock)...)
	s := l.serve(p, l.serveConfig(p, sock, openvpn.StyleAppend))
	s.waitRecord(serveConnected, 1)

	l.wantConnected(l.fileClient("valid", "alice", servePassword+hotpCode(0)))
	l.wantRefused(l.fileClient("replayed", "alice", servePassword+hotpCode(0)))
	l.wantRefused(l.fileClient("wrong", "alice", servePassword+wrong(hotpCode(1))))
	l.wantRefused(l.fileClient("badpassword", "alice", "not-"+servePassword+hotpCode(1)))
	s.wantMetrics(`otpgate_logins_total{result="accept"} 1`, `otpgate_logins_total{result="reject"} 3`)
	s.terminate()
}

// TestServeReconnect: with token_key_file the daemon pushes its auth token
// in client-auth and answers every REAUTH of a short reneg-sec with
// client-auth-nt, without a new code; when OpenVPN restarts on the same
// socket the daemon reconnects by itself and the next client logs in.
func TestServeReconnect(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	sock := l.path("server.sock")
	key := l.tokenKey()
	conf := append(l.serveServerConfig(sock), "reneg-sec 6")
	l.startServer(conf...)
	s := l.serve(p, l.serveConfig(p, sock, openvpn.StyleCRText, fmt.Sprintf("token_key_file = %q", key), `token_lifetime = "1h"`))
	s.waitRecord(serveConnected, 1)

	r := l.startHelper("reneg", aliceCRText(hotpCode(0)))
	l.stayUpLog(r, s.log, `"why":"auth token of session`, 1)
	if got := len(s.decisions("accept", mgmt.KindReauth)); got < 1 {
		t.Errorf("daemon accepted %d REAUTHs; want at least 1", got)
	}
	if !strings.Contains(r.p.text(), "PUSH: Received control message: 'PUSH_REPLY,topology subnet,auth-token,") {
		t.Errorf("the client never received the auth token")
	}
	l.wantServerLog("MANAGEMENT: CMD 'client-auth-nt 0 ")
	s.wantMetrics(`otpgate_logins_total{result="accept"} 1`) // renegotiations used no code

	l.srv.stop()
	s.waitRecord(serveLost, 1)
	l.startServer(conf...)
	s.waitRecord(serveConnected, 2)
	l.wantHelperConnected(l.helperClient("restarted", aliceCRText(hotpCode(1))))
	if got := len(s.records(serveReady)); got != 1 {
		t.Errorf("the daemon logged %q %d times; want 1 (it must not restart)", serveReady, got)
	}
	s.wantMetrics(`otpgate_logins_total{result="accept"} 2`, `otpgate_logins_total{result="reject"} 0`)
	s.terminate()
}

// TestServeDisabledMidSession: a user disabled with `otpgate disable` while
// connected is refused at the next renegotiation, though the auth token is
// valid, and the daemon ends the tunnel with client-kill: OpenVPN's
// client-deny alone leaves the old key carrying it for the rest of the
// transition window, 10 to 15 s (issue 14 item 13). OpenVPN sends the
// client RESTART; its next login is a full one, and refused.
func TestServeDisabledMidSession(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := newServeProduct(l)
	sock := l.path("server.sock")
	l.startServer(append(l.serveServerConfig(sock), "reneg-sec 6")...)
	s := l.serve(p, l.serveConfig(p, sock, openvpn.StyleCRText, fmt.Sprintf("token_key_file = %q", l.tokenKey()), `token_lifetime = "1h"`))
	s.waitRecord(serveConnected, 1)

	r := l.startHelper("disabled", aliceCRText(hotpCode(0)))
	select {
	case <-r.connected:
	case err := <-r.errc:
		t.Fatalf("client did not connect: %v", err)
	case <-l.ctx.Done():
		t.Fatal("client did not connect in time")
	}
	if out, err := p.command(l, "disable", "alice", "--db", p.db).CombinedOutput(); err != nil {
		t.Fatalf("otpgate disable alice: %v\n%s", err, out)
	}
	s.waitRecord(serveSessionEnded, 1)
	// OpenVPN's answer to client-deny and client-kill races: the client
	// restarts on the AUTH_FAILED or on the RESTART, whichever comes first.
	if !l.waitLog(r.p, "process restarting") {
		t.Errorf("the client's session did not end")
	}
	l.wantServerLog("MANAGEMENT: CMD 'client-kill 0'", "SENT CONTROL [client]: 'RESTART'")
	rej := s.decisions("reject", mgmt.KindReauth)
	if len(rej) == 0 || rej[0]["why"] != "the user was deleted or disabled since the session began" {
		t.Errorf("REAUTH refusals = %v; want one for the disabled user", rej)
	}
}
