package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// RFC 4226 appendix D: the codes of the test key for counters 0, 1, 2, ...
var rfc4226Codes = []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"}

// daemonProc is an `otpgate serve` process and what its log said.
type daemonProc struct {
	cmd          *exec.Cmd
	radius, http string
	logs         chan map[string]any
	exited       chan struct{} // closed when the process has exited
	exitErr      error
	logText      *testpeer.Buffer
}

// startServe runs otpgate serve with cfg (a TOML text) and waits until it
// is ready.
func startServe(t *testing.T, dir, cfg string) *daemonProc {
	t.Helper()
	path := filepath.Join(dir, "otpgate.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := otpgateCmd("serve", "--config", path, "--log-format", "json", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{cmd: cmd, logs: make(chan map[string]any, 100), exited: make(chan struct{}), logText: new(testpeer.Buffer)}
	go d.readLog(stderr)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-d.exited
	})
	ready := d.waitLog(t, "otpgate serve: ready")
	if ready["go"] != runtime.Version() || ready["version"] == "" {
		t.Errorf("ready line %v; want the version and go=%s", ready, runtime.Version())
	}
	d.radius, _ = ready["radius"].(string)
	d.http, _ = ready["http"].(string)
	return d
}

func (d *daemonProc) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		d.logText.Write(append(sc.Bytes(), '\n'))
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			m = map[string]any{"msg": sc.Text()}
		}
		select {
		case d.logs <- m:
		default:
		}
	}
	d.exitErr = d.cmd.Wait()
	close(d.logs)
	close(d.exited)
}

// waitLog returns the first log record whose message is msg.
func (d *daemonProc) waitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-d.logs:
			if !ok {
				t.Fatalf("otpgate serve exited before logging %q", msg)
			}
			if m["msg"] == msg {
				return m
			}
		case <-timeout:
			t.Fatalf("otpgate serve did not log %q in 30 s", msg)
		}
	}
}

func (d *daemonProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// serveRadclient sends one Access-Request with radclient and returns the
// reply's code, or "none".
func serveRadclient(t *testing.T, addr, secret, attrs string) string {
	t.Helper()
	bin := testpeer.Need(t, "radclient")[0]
	cmd := exec.Command(bin, "-x", "-t", "2", "-r", "1", addr, "auth", secret)
	cmd.Stdin = strings.NewReader(attrs + `, NAS-Identifier = "vpn1", Message-Authenticator = 0x00` + "\n")
	out, _ := cmd.CombinedOutput()
	for _, c := range []string{"Access-Accept", "Access-Reject", "Access-Challenge"} {
		if bytes.Contains(out, []byte("Received "+c)) {
			return c
		}
	}
	return "none"
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func serveConfig(dir, db, style string) string {
	return fmt.Sprintf(`db = %q
[log]
audit_file = %q
[http]
listen = "127.0.0.1:0"
[radius]
listen = "127.0.0.1:0"
[[radius.client]]
name = "vpn"
address = "127.0.0.1"
secret_file = %q
style = %q
`, db, filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "vpn.secret"), style)
}

// TestServeRADIUS runs the daemon with radclient as the NAS: a login with
// the code appended, its replay refused, the metrics, a reload that changes
// the client's style, a reload with a typo that changes nothing, and SIGTERM.
func TestServeRADIUS(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "otpgate.db")
	mustRun(t, "", "enroll", "alice", "--type", "hotp", "--rfc4226-test-key", "--db", db)
	const secret = "a-shared-secret-of-some-length"
	if err := os.WriteFile(filepath.Join(dir, "vpn.secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startServe(t, dir, serveConfig(dir, db, "append"))

	if got := serveRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "`+rfc4226Codes[0]+`"`); got != "Access-Accept" {
		t.Fatalf("login with a valid code: %s; want Access-Accept; daemon log:\n%s", got, d.logText)
	}
	if got := serveRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "`+rfc4226Codes[0]+`"`); got != "Access-Reject" {
		t.Errorf("replayed code: %s; want Access-Reject", got)
	}
	if got := serveRadclient(t, d.radius, "wrong-secret-wrong-secret", `User-Name = "alice", User-Password = "`+rfc4226Codes[1]+`"`); got != "none" {
		t.Errorf("wrong shared secret: %s; want no answer", got)
	}

	code, body := httpGet(t, "http://"+d.http+"/metrics")
	for _, want := range []string{`otpgate_logins_total{result="accept"} 1`, `otpgate_logins_total{result="reject"} 1`,
		`otpgate_radius_dropped_total{reason="bad_message_authenticator"} 1`, "otpgate_login_duration_seconds_count 2",
		`,goversion="` + runtime.Version() + `"} 1`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics = %d, lacks %q:\n%s", code, want, body)
		}
	}
	promtool := exec.Command(testpeer.Need(t, "promtool")[0], "check", "metrics")
	promtool.Stdin = strings.NewReader(body)
	if out, err := promtool.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(t, "http://"+d.http+p); code != 200 || body != "ok\n" {
			t.Errorf("GET %s = %d %q; want 200 ok", p, code, body)
		}
	}

	// Reload: the client now sends the code alone.
	os.WriteFile(filepath.Join(dir, "otpgate.toml"), []byte(serveConfig(dir, db, "code")), 0o600)
	d.signal(t, syscall.SIGHUP)
	d.waitLog(t, "reload: configuration applied")
	if got := serveRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "`+rfc4226Codes[1]+`"`); got != "Access-Accept" {
		t.Errorf("code-only login after reload: %s; want Access-Accept", got)
	}

	// A typo: the reload fails and the code-only style stays.
	os.WriteFile(filepath.Join(dir, "otpgate.toml"), []byte(serveConfig(dir, db, "code")+"stlye = \"append\"\n"), 0o600)
	d.signal(t, syscall.SIGHUP)
	m := d.waitLog(t, "reload failed; the previous configuration stays in force")
	if e, _ := m["err"].(string); !strings.Contains(e, `unknown key "radius.client.stlye"`) || !strings.Contains(e, ":13:") {
		t.Errorf("failed reload logged %q; want the unknown key and its line", e)
	}
	if got := serveRadclient(t, d.radius, secret, `User-Name = "alice", User-Password = "`+rfc4226Codes[2]+`"`); got != "Access-Accept" {
		t.Errorf("code-only login after a failed reload: %s; want Access-Accept", got)
	}
	if _, body := httpGet(t, "http://"+d.http+"/metrics"); !strings.Contains(body, `otpgate_reloads_total{result="failed"} 1`) ||
		!strings.Contains(body, `otpgate_reloads_total{result="ok"} 1`) {
		t.Errorf("/metrics after two reloads:\n%s", body)
	}

	d.signal(t, syscall.SIGTERM)
	d.waitLog(t, "otpgate serve: stopping; draining requests in flight")
	select {
	case <-d.exited:
		if d.exitErr != nil {
			t.Errorf("otpgate serve after SIGTERM: %v; want exit 0", d.exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("otpgate serve did not exit 30 s after SIGTERM")
	}
	if strings.Contains(d.logText.String(), rfc4226Codes[0]) || strings.Contains(d.logText.String(), secret) {
		t.Errorf("the daemon's log holds a code or the shared secret:\n%s", d.logText)
	}
	audit, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(audit), `"action":"verify","user":"alice"`); n < 4 {
		t.Errorf("audit_file has %d verify lines for alice; want 4 (accept, replay, accept, accept):\n%s", n, audit)
	}
	for _, c := range rfc4226Codes[:3] {
		if strings.Contains(string(audit), c) {
			t.Errorf("audit_file holds the code %s", c)
		}
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(text string, mode os.FileMode) string {
		p := filepath.Join(dir, fmt.Sprintf("c%d.toml", time.Now().UnixNano()))
		os.WriteFile(p, []byte(text), mode)
		return p
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--config", write("[radius]\nlisten = \"127.0.0.1:1812\"\nworkres = 4\n", 0o600), "--check"}, 1, `:3: unknown key "radius.workres"`},
		{[]string{"serve", "--config", write("[[radius.client]]\naddress = \"10.0.0.1\"\nsecret = \"s\"\n", 0o644), "--check"}, 1, "readable by group or others"},
		{[]string{"serve", "--config", filepath.Join(dir, "none.toml")}, 1, "no such file"},
		{[]string{"serve", "--config", write("", 0o600), "--radius-listen", "localhost:1"}, 1, "must be an IP address"},
		{[]string{"serve", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"serve", "--config", write("db = \"/x\"\n", 0o600), "--check"}, 0, ""},
	}
	for _, tt := range tests {
		r := otpgate(t, "", nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("otpgate %q = %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
		if tt.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("otpgate %q: more than an error and a hint:\n%s", tt.args, r.stderr)
		}
	}
}

// TestServeStoreBusy: a port already taken is an error before "ready".
func TestServePortTaken(t *testing.T) {
	dir := t.TempDir()
	d := startServe(t, dir, fmt.Sprintf("db = %q\n[radius]\nlisten = \"off\"\n[http]\nlisten = \"127.0.0.1:0\"\n", filepath.Join(dir, "a.db")))
	r := otpgate(t, "", nil, "serve", "--db", filepath.Join(dir, "b.db"), "--radius-listen", "off", "--http-listen", d.http)
	if r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("serve on a taken port = %d, %q; want exit 1 and the reason", r.code, r.stderr)
	}
}
