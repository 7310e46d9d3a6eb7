package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// ocserv is Debian's ocserv, running in the foreground with RADIUS
// authentication against a stack.
type ocserv struct {
	t    *testing.T
	dir  string
	url  string // https://127.0.0.1:port/
	pin  string // openconnect --servercert value
	log  string // ocserv's output file
	cmd  *exec.Cmd
	done chan struct{}
	// groups, when set, turn on groupconfig: ocserv offers them at login
	// (select-group) and takes the user's groups from the reply's Class.
	groups []string
}

// radcliConfig writes libradcli's configuration and servers file for a
// NAS that sends its requests to s, waiting timeout seconds for each of
// four tries, and returns the configuration's path. radcli 1.2 needs
// authserver, servers, dictionary, radius_timeout, radius_retries and
// bindaddr; without acctserver it only warns (ocserv does no accounting
// unless acct = "radius[...]" is set). The servers file names the server
// as server does: s's address, which is all radcli takes there.
func radcliConfig(t *testing.T, dir string, s *stack, timeout int, server string) string {
	t.Helper()
	servers := filepath.Join(dir, "radius-servers")
	writeFile(t, servers, fmt.Sprintf("# server\tshared secret\n%s\t%s\n", server, s.secret), 0o600)
	conf := filepath.Join(dir, "radiusclient.conf")
	writeFile(t, conf, fmt.Sprintf(`authserver	%s
servers		%s
dictionary	/etc/radcli/dictionary
radius_timeout	%d
radius_retries	3
radius_deadtime	0
bindaddr	127.0.0.1
`, s.addr, servers, timeout), 0o600)
	return conf
}

// startOcserv starts ocserv on a free loopback port with RADIUS
// authentication against s, and waits until it accepts connections.
// radcli waits radiusTimeout seconds for each answer. With groups, a user
// picks one at login, and must be in it by the reply's Class.
func startOcserv(t *testing.T, s *stack, radiusTimeout int, groups ...string) *ocserv {
	t.Helper()
	return startOcservServers(t, s, radiusTimeout, s.addr.Addr().String(), groups...)
}

// startOcservServers is startOcserv with server as the name of the server
// in radcli's servers file.
func startOcservServers(t *testing.T, s *stack, radiusTimeout int, server string, groups ...string) *ocserv {
	t.Helper()
	bin := testpeer.Need(t, "ocserv")[0]
	o := &ocserv{t: t, dir: worldDir(t), done: make(chan struct{}), groups: groups}
	cert, key, pin := selfSigned(t)
	o.pin = pin
	writeFile(t, filepath.Join(o.dir, "server-cert.pem"), cert, 0o644)
	writeFile(t, filepath.Join(o.dir, "server-key.pem"), key, 0o600)
	port := freeTCPPort(t)
	o.url = fmt.Sprintf("https://127.0.0.1:%d/", port)
	conf := filepath.Join(o.dir, "ocserv.conf")
	writeFile(t, conf, o.config(radcliConfig(t, o.dir, s, radiusTimeout, server), port), 0o644)

	o.log = filepath.Join(o.dir, "ocserv.log")
	f, err := os.Create(o.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o.cmd = exec.Command(bin, "--foreground", "--debug=3", "--config", conf)
	o.cmd.Dir, o.cmd.Stdout, o.cmd.Stderr = o.dir, f, f
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := o.cmd.Start(); err != nil {
		t.Fatalf("start ocserv: %v", err)
	}
	go func() {
		o.cmd.Wait()
		close(o.done)
	}()
	t.Cleanup(o.stop)
	o.waitListening(port)
	return o
}

// config is ocserv.conf: RADIUS authentication, no DTLS, no tun device
// until a client connects (openconnect --authenticate never does).
func (o *ocserv) config(radcli string, port int) string {
	return fmt.Sprintf(`auth = "radius[config=%s,groupconfig=%t]"
listen-host = 127.0.0.1
tcp-port = %d
run-as-user = nobody
run-as-group = nogroup
socket-file = %s
pid-file = %s
server-cert = %s
server-key = %s
isolate-workers = false
max-clients = 16
max-same-clients = 16
auth-timeout = 240
cookie-timeout = 300
deny-roaming = false
use-occtl = false
device = vpns
ipv4-network = 192.0.2.0/24
`, radcli, len(o.groups) > 0, port, filepath.Join(o.dir, "ocserv.sock"), filepath.Join(o.dir, "ocserv.pid"),
		filepath.Join(o.dir, "server-cert.pem"), filepath.Join(o.dir, "server-key.pem")) + o.groupLines()
}

// groupLines offer o's groups at login.
func (o *ocserv) groupLines() string {
	var b strings.Builder
	for _, g := range o.groups {
		fmt.Fprintf(&b, "select-group = %s\n", g)
	}
	return b.String()
}

func (o *ocserv) text() string {
	b, _ := os.ReadFile(o.log)
	return string(b)
}

// waitListening waits until ocserv accepts TCP connections on port.
func (o *ocserv) waitListening(port int) {
	o.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-o.done:
			o.t.Fatalf("ocserv exited at start:\n%s", o.text())
		default:
		}
		c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
	}
	o.t.Fatalf("ocserv never listened on port %d:\n%s", port, o.text())
}

// stop ends ocserv and its workers (its process group): SIGTERM, then
// SIGKILL if they linger.
func (o *ocserv) stop() {
	pgid := o.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-o.done
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // workers left behind, if any
	o.t.Logf("ocserv log:\n%s", o.text())
}

// login is the outcome of one openconnect run.
type login struct {
	exit   int
	stdout string
	stderr string
}

// openconnect runs openconnect --authenticate against o with the given
// extra arguments, answering its prompts with the lines of input.
func (o *ocserv) openconnect(input string, args ...string) login {
	o.t.Helper()
	return o.openconnectFrom(strings.NewReader(input), args...)
}

// openconnectFrom is openconnect reading its answers from stdin, which may
// give a line only once the test knows it (a code sent by email).
func (o *ocserv) openconnectFrom(stdin io.Reader, args ...string) login {
	o.t.Helper()
	bin := testpeer.Need(o.t, "openconnect")[0]
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	full := append([]string{"--authenticate", "--non-inter", "--servercert", o.pin, "--user", testUser}, args...)
	cmd := exec.CommandContext(ctx, bin, append(full, o.url)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	l := login{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		l.exit = exit.ExitCode()
	case err != nil:
		o.t.Fatalf("openconnect: %v", err)
	}
	o.t.Logf("openconnect %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, l.exit, redactCookie(l.stdout), l.stderr)
	return l
}

// redactCookie hides the session cookie in logged output.
func redactCookie(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "COOKIE=") {
			line = "COOKIE=..."
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// selfSigned returns a P-256 certificate for 127.0.0.1, its key (PKCS #8)
// and openconnect's pin of it: "pin-sha256:" and the base64 of the SHA-256
// of its SubjectPublicKeyInfo.
func selfSigned(t *testing.T) (certPEM, keyPEM, pin string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"pin-sha256:" + base64.StdEncoding.EncodeToString(sum[:])
}

// freeTCPPort returns a loopback port that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// worldDir returns a new directory that ocserv's workers, running as
// nobody, can reach: they connect to sec-mod's socket in it. t.TempDir's
// parent is private to root.
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "otpgate-ocserv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}
