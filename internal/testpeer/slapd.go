package testpeer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A throwaway OpenLDAP server for tests: Debian's slapd with a slapd.conf
// of its own in a temporary directory (an mdb database, the memberof and
// ppolicy overlays, the monitor backend), listening on 127.0.0.1 with
// ldap:// (StartTLS offered) and ldaps://, with certificates from a
// [PKI] made for it. The stats log (every BIND and its result) is kept,
// so that a test can tell exactly who was bound.

// SlapdOptions configures [NewSlapd].
type SlapdOptions struct {
	// Suffix is the database's suffix; default "dc=example,dc=org".
	Suffix string
	// LDIF is loaded with slapadd before the first start; Online is added
	// with ldapadd once the server runs, through the overlays (memberof
	// keeps memberOf only for groups added that way).
	LDIF, Online string
	// PPolicyDefault is the DN of the default password policy, an entry in
	// LDIF; empty: no default policy.
	PPolicyDefault string
	// VerifyClient makes TLS demand a client certificate from the PKI.
	VerifyClient bool
	// Quiet turns the stats log off (a load test would fill memory).
	Quiet bool
}

// Slapd is a running slapd. Its methods are safe for concurrent use.
type Slapd struct {
	Suffix, RootDN, RootPassword string
	PKI                          *PKI

	dir         string
	opts        SlapdOptions
	ldap, ldaps int
	log         Buffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// slapdWait bounds a start or a stop.
const slapdWait = time.Minute

// SlapdBin is where Debian's slapd package installs the server.
const SlapdBin = "/usr/sbin/slapd"

// NewSlapd starts a slapd for t, stopped and removed when t ends.
func NewSlapd(t testing.TB, o SlapdOptions) *Slapd {
	t.Helper()
	Need(t, "slapadd", "ldapadd", "ldapmodify", "ldapsearch")
	if _, err := os.Stat(SlapdBin); err != nil {
		t.Fatalf("%s not found: run `make test`, which installs the test peers (slapd)", SlapdBin)
	}
	if o.Suffix == "" {
		o.Suffix = "dc=example,dc=org"
	}
	var pw [12]byte
	rand.Read(pw[:])
	s := &Slapd{Suffix: o.Suffix, RootDN: "cn=admin," + o.Suffix, RootPassword: hex.EncodeToString(pw[:]), dir: t.TempDir(), opts: o}
	s.PKI = NewPKI(t, s.dir)
	if err := os.Mkdir(filepath.Join(s.dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.writeFile(t, "slapd.conf", s.config())
	s.writeFile(t, "root.pw", s.RootPassword)
	if o.LDIF != "" {
		s.writeFile(t, "load.ldif", o.LDIF)
		s.run(t, nil, "slapadd", "-q", "-f", s.path("slapd.conf"), "-l", s.path("load.ldif"))
	}
	t.Cleanup(s.kill)
	s.startOnFreePorts(t)
	if o.Online != "" {
		s.Add(t, o.Online)
	}
	return s
}

func (s *Slapd) path(name string) string { return filepath.Join(s.dir, name) }

func (s *Slapd) writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(s.path(name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (s *Slapd) config() string {
	verify := "never"
	if s.opts.VerifyClient {
		verify = "demand"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
TLSCACertificateFile %[2]s
TLSCertificateFile %[3]s
TLSCertificateKeyFile %[4]s
TLSVerifyClient %[5]s
database mdb
maxsize 104857600
suffix "%[6]s"
rootdn "%[7]s"
rootpw %[8]s
directory %[1]s/data
overlay memberof
overlay ppolicy
`, s.dir, s.PKI.CAFile, s.PKI.ServerCert, s.PKI.ServerKey, verify, s.Suffix, s.RootDN, s.RootPassword)
	if s.opts.PPolicyDefault != "" {
		fmt.Fprintf(&b, "ppolicy_default %q\n", s.opts.PPolicyDefault)
	}
	fmt.Fprintf(&b, `access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by users read by * none
database monitor
access to dn.subtree="cn=Monitor" by dn.exact="%s" read by * none
`, s.RootDN)
	return b.String()
}

// URL is the ldap:// listener (StartTLS offered); LDAPSURL the ldaps://
// one.
func (s *Slapd) URL() string { return "ldap://127.0.0.1:" + strconv.Itoa(s.ldap) }

// LDAPSURL is the ldaps:// listener.
func (s *Slapd) LDAPSURL() string { return "ldaps://127.0.0.1:" + strconv.Itoa(s.ldaps) }

func (s *Slapd) startOnFreePorts(t testing.TB) {
	t.Helper()
	var err error
	for range 5 { // another process may take a free port before slapd binds it
		if s.ldap, err = freePort(); err == nil {
			s.ldaps, err = freePort()
		}
		if err == nil {
			if err = s.start(); err == nil || !errors.Is(err, errPortTaken) {
				break
			}
		}
	}
	if err != nil {
		t.Fatalf("testpeer: slapd: %v", err)
	}
}

// Start starts a stopped slapd on the same ports and waits until it
// accepts connections.
func (s *Slapd) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("testpeer: slapd: %v", err)
	}
}

func (s *Slapd) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	level := "256" // stats: connections, operations, results
	if s.opts.Quiet {
		level = "0"
	}
	cmd := exec.Command(SlapdBin, "-f", s.path("slapd.conf"), "-h", s.URL()+"/ "+s.LDAPSURL()+"/", "-d", level)
	var out Buffer
	cmd.Stdout, cmd.Stderr = &s.log, io.MultiWriter(&s.log, &out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := waitListening(net.JoinHostPort("127.0.0.1", strconv.Itoa(s.ldaps)), exited); err != nil {
		s.cmd.Process.Kill()
		<-exited
		s.cmd = nil
		if strings.Contains(out.String(), "Address already in use") {
			return fmt.Errorf("%w: %s", errPortTaken, out.String())
		}
		return fmt.Errorf("slapd on %s: %v\n%s", s.URL(), err, out.String())
	}
	return nil
}

func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(slapdWait)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("not listening after %v", slapdWait)
}

// Stop shuts slapd down as its init script does (SIGTERM: connections
// closed, the database synced) and waits until it has exited.
func (s *Slapd) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(slapdWait):
		s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("testpeer: slapd ignored SIGTERM for %v; killed", slapdWait)
	}
	s.cmd = nil
}

func (s *Slapd) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// Add adds the entries of ldif with ldapadd, as the root DN.
func (s *Slapd) Add(t testing.TB, ldif string) {
	t.Helper()
	s.run(t, []byte(ldif), "ldapadd", "-x", "-H", s.URL(), "-D", s.RootDN, "-y", s.path("root.pw"))
}

// Modify applies the changes of ldif with ldapmodify, as the root DN.
func (s *Slapd) Modify(t testing.TB, ldif string) {
	t.Helper()
	s.run(t, []byte(ldif), "ldapmodify", "-x", "-H", s.URL(), "-D", s.RootDN, "-y", s.path("root.pw"))
}

func (s *Slapd) run(t testing.TB, stdin []byte, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testpeer: slapd: %s: %v\n%s", name, err, out)
	}
	return string(out)
}

var monitorCounter = regexp.MustCompile(`(?m)^monitorCounter: (\d+)$`)

// Connections is the number of client connections slapd holds open,
// read from its monitor backend; the connection that asks is not counted.
func (s *Slapd) Connections(t testing.TB) int {
	t.Helper()
	out := s.run(t, nil, "ldapsearch", "-x", "-LLL", "-H", s.URL(), "-D", s.RootDN, "-y", s.path("root.pw"),
		"-b", "cn=Current,cn=Connections,cn=Monitor", "-s", "base", "monitorCounter")
	m := monitorCounter.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("testpeer: slapd: no monitorCounter in\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n - 1
}

// SlapdBind is one BIND in the stats log and its result code.
type SlapdBind struct {
	DN     string
	Result int // 0 success, 49 invalid credentials; -1 while unanswered
}

var (
	bindLine   = regexp.MustCompile(`conn=(\d+) op=(\d+) BIND dn="([^"]*)" method=`)
	resultLine = regexp.MustCompile(`conn=(\d+) op=(\d+) RESULT tag=97 err=(\d+)`)
)

// Binds returns every bind slapd has logged, in order, up to an operation
// it makes after every earlier one was answered: slapd logs a result just
// after sending it, from the thread that sent it.
func (s *Slapd) Binds(t testing.TB) []SlapdBind {
	t.Helper()
	s.sync(t)
	var binds []SlapdBind
	at := map[string]int{}
	for _, line := range strings.Split(s.log.String(), "\n") {
		if m := bindLine.FindStringSubmatch(line); m != nil {
			at[m[1]+"/"+m[2]] = len(binds)
			binds = append(binds, SlapdBind{DN: m[3], Result: -1})
		} else if m := resultLine.FindStringSubmatch(line); m != nil {
			if i, ok := at[m[1]+"/"+m[2]]; ok {
				binds[i].Result, _ = strconv.Atoi(m[3])
			}
		}
	}
	return binds
}

// sync makes a search of its own and waits until slapd has logged it.
func (s *Slapd) sync(t testing.TB) {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	filter := "(cn=sync-" + hex.EncodeToString(b[:]) + ")"
	s.run(t, nil, "ldapsearch", "-x", "-LLL", "-H", s.URL(), "-D", s.RootDN, "-y", s.path("root.pw"), "-b", s.Suffix, "-s", "base", filter, "1.1")
	deadline := time.Now().Add(slapdWait)
	for !strings.Contains(s.log.String(), `filter="`+filter+`"`) {
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: slapd: the search %s is not in the log after %v", filter, slapdWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Log is slapd's output so far.
func (s *Slapd) Log() string { return s.log.String() }
