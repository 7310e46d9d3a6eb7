//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/testpeer"
)

// What the tests grep: the client log shows success or AUTH_FAILED (the
// client exits 0 either way).
const (
	connectedLine = "Initialization Sequence Completed"
	refusedLine   = "AUTH_FAILED"
)

// lab is one test's world: namespaces, PKI, test service and processes.
// Everything is bounded by a 60 s context and torn down when the test ends.
type lab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	topo *topology
	pki  *pki
	svc  fileService
	srv  *proc
	srvN int // servers started
}

// labTime is how long one lab's test may take in all. It bounds a hang,
// not a speed: the lab's tests run in parallel beside the other packages'
// on a small CI machine under -race.
const labTime = 3 * time.Minute

func newLab(t *testing.T) *lab {
	t.Helper()
	testpeer.Need(t, "openvpn", "openssl", "ip")
	if os.Geteuid() != 0 {
		t.Fatal("the OpenVPN end-to-end tests need root (network namespaces and a tun device): run them as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), labTime)
	t.Cleanup(cancel)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, ctx: ctx, dir: dir, topo: newTopology(t), pki: newPKI(t, dir), svc: newService(t, dir)}
	t.Cleanup(l.dumpLogs)
	return l
}

// dumpLogs prints every log of a failed test, or of any test when
// OTPGATE_E2E_LOGS is set.
func (l *lab) dumpLogs() {
	if !l.t.Failed() && os.Getenv("OTPGATE_E2E_LOGS") == "" {
		return
	}
	logs, _ := filepath.Glob(l.path("*.log"))
	for _, f := range logs {
		b, _ := os.ReadFile(f)
		l.t.Logf("==== %s\n%s", filepath.Base(f), b)
	}
}

func (l *lab) path(name string) string { return filepath.Join(l.dir, name) }

// serverConfig is the base server configuration: tun in the server
// namespace, certificates both ways, a 10.x pool that exists nowhere else.
func (l *lab) serverConfig() []string {
	return []string{
		"mode server", "tls-server", "dev tun", "topology subnet",
		"ifconfig 10.202.0.1 255.255.255.0", "ifconfig-pool 10.202.0.10 10.202.0.100",
		`push "topology subnet"`, "route-gateway 10.202.0.1",
		"proto udp", "local " + serverAddr, "port " + serverPort,
		"ca " + l.pki.path("ca.crt"), "cert " + l.pki.path("server.crt"), "key " + l.pki.path("server.key"),
		"dh none", "verify-client-cert require",
		"tmp-dir " + l.path("tmp"), "verb 4",
		"setenv " + envState + " " + l.svc.path,
	}
}

// scripts returns the lines that make otpgate's hooks the second factor in
// the given style.
func (l *lab) scripts(style openvpn.Style) []string {
	return []string{
		"script-security 2",
		fmt.Sprintf("auth-user-pass-verify %q via-file", hookCommand(l.t, openvpn.ScriptVerify)),
		fmt.Sprintf("client-crresponse %q", hookCommand(l.t, openvpn.ScriptCRResponse)),
		fmt.Sprintf("client-connect %q", hookCommand(l.t, openvpn.ScriptClientConnect)),
		"setenv " + openvpn.EnvStyle + " " + string(style),
	}
}

// startServer starts the server with the base configuration plus extra
// lines and waits until it is up.
func (l *lab) startServer(extra ...string) *proc {
	l.t.Helper()
	conf := l.path("server.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(append(l.serverConfig(), extra...), "\n")+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	l.srvN++
	name := "server"
	if l.srvN > 1 {
		name = fmt.Sprintf("server%d", l.srvN)
	}
	l.srv = l.start(name, l.topo.server, "--config", conf)
	if !l.waitLog(l.srv, connectedLine) {
		l.t.Fatalf("server did not start:\n%s", l.srv.text())
	}
	return l.srv
}

// clientArgs are a --dev null client's options plus extra.
func (l *lab) clientArgs(extra ...string) []string {
	return append([]string{
		"--client", "--dev", "null", "--ifconfig-noexec", "--route-noexec",
		"--proto", "udp", "--remote", serverAddr, serverPort, "--nobind",
		"--ca", l.pki.path("ca.crt"), "--cert", l.pki.path("client.crt"), "--key", l.pki.path("client.key"),
		"--remote-cert-tls", "server", "--verb", "3",
	}, extra...)
}

// fileClient starts a client that reads its credentials from a file and
// gives up after one AUTH_FAILED.
func (l *lab) fileClient(name, user, password string, extra ...string) *proc {
	l.t.Helper()
	creds := l.path(name + ".creds")
	if err := os.WriteFile(creds, []byte(user+"\n"+password+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return l.start(name, l.topo.client, l.clientArgs(append([]string{"--auth-user-pass", creds, "--auth-retry", "none"}, extra...)...)...)
}

// wantConnected waits for the client to complete its initialization, then
// stops it.
func (l *lab) wantConnected(p *proc) {
	l.t.Helper()
	ok := l.waitLog(p, connectedLine)
	p.stop()
	if !ok {
		l.t.Errorf("client %s did not connect; its log:\n%s\nserver log:\n%s", p.name, p.text(), l.srvText())
	}
}

// wantRefused waits for the client to be refused and exit, and checks it
// never connected.
func (l *lab) wantRefused(p *proc) {
	l.t.Helper()
	l.waitLog(p, refusedLine)
	p.wait(l.ctx)
	p.stop()
	if log := p.text(); !strings.Contains(log, refusedLine) || strings.Contains(log, connectedLine) {
		l.t.Errorf("client %s was not refused; its log:\n%s\nserver log:\n%s", p.name, log, l.srvText())
	}
}

// wantServerLog checks that the server log holds each of lines, which
// proves why a client was refused.
func (l *lab) wantServerLog(lines ...string) {
	l.t.Helper()
	log := l.srvText()
	for _, s := range lines {
		if !strings.Contains(log, s) {
			l.t.Errorf("server log lacks %q", s)
		}
	}
}

func (l *lab) srvText() string {
	if l.srv == nil {
		return ""
	}
	return l.srv.text()
}

// waitLog polls p's log for substr until it appears, p exits or the lab's
// context ends.
func (l *lab) waitLog(p *proc, substr string) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if strings.Contains(p.text(), substr) {
			return true
		}
		select {
		case <-p.done:
			return strings.Contains(p.text(), substr)
		case <-l.ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// countLog returns how often substr occurs in p's log.
func countLog(p *proc, substr string) int { return strings.Count(p.text(), substr) }

// proc is an openvpn process in a namespace, its output in a log file.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (l *lab) start(name, ns string, args ...string) *proc {
	l.t.Helper()
	p := &proc{name: name, log: l.path(name + ".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns, "openvpn"}, args...)...)
	p.cmd.Dir, p.cmd.Stdout, p.cmd.Stderr = l.dir, f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		l.t.Fatalf("start openvpn %s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	l.t.Cleanup(p.stop)
	return p
}

func (p *proc) text() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// wait waits for p to exit or ctx to end.
func (p *proc) wait(ctx context.Context) {
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}

// stop ends p: SIGTERM, then SIGKILL if it lingers.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}
