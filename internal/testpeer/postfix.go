package testpeer

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A throwaway Postfix for tests: main.cf and master.cf in a temporary
// directory (postfix -c DIR), the queue, data and mail directories beside
// them, smtpd on loopback ports picked at start, Cyrus SASL with a sasldb
// for AUTH, a test CA's certificate for TLS, and the virtual delivery agent
// putting every message for the test domains into one Maildir. Debian's
// Postfix reads a -c directory's Cyrus SASL configuration from DIR/sasl
// whatever cyrus_sasl_config_path says.
//
// Postfix's master must start as root (it binds, then runs each daemon as
// mail_owner), so the harness needs root; the postfix user and postdrop
// group come from Debian's postfix package. The master gets SIGTERM, and
// stops its daemons, when the test process dies.

// PostfixDomains are the domains the instance delivers mail for.
var PostfixDomains = []string{"example.org", "example.net", "sms.example.net"}

// postfixWait bounds every wait on the instance: start, stop, a delivery.
const postfixWait = 2 * time.Minute

// Postfix is a running instance. Its methods are safe for concurrent use.
type Postfix struct {
	// StartTLS offers STARTTLS, and AUTH only after it; mail is accepted
	// from authenticated clients only.
	StartTLS string
	// TLS speaks TLS from the first byte (smtps), with AUTH required; it
	// offers the LOGIN mechanism only.
	TLS string
	// Plain offers neither TLS nor AUTH and accepts mail from loopback.
	Plain string
	// PlainAuth offers AUTH without TLS and requires it: a client that
	// keeps its password off a plain connection cannot send there. Its
	// log lines are tagged postfix/plainauth.
	PlainAuth string
	// User and Password are the SASL account; PasswordFile holds the
	// password (mode 0600).
	User, Password, PasswordFile string
	PKI                          *PKI

	dir      string
	uid, gid int // of the postfix user, who owns the delivered files
	mu       sync.Mutex
	proc     *exec.Cmd
	done     chan struct{}
}

// StartPostfix starts an instance that stops when t ends.
func StartPostfix(t testing.TB) *Postfix {
	t.Helper()
	Need(t, "postfix", "saslpasswd2")
	if os.Geteuid() != 0 {
		t.Fatalf("testpeer: Postfix's master must start as root; run the tests as root, as `make test` in CI does")
	}
	dir, err := os.MkdirTemp("", "otpgate-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Postfix{dir: dir, User: "relay@example.org", Password: rand.Text()}
	if err := p.setUp(t); err != nil {
		t.Fatalf("testpeer: postfix: %v", err)
	}
	var lastErr error
	for range 3 {
		if lastErr = p.configure(); lastErr == nil {
			if lastErr = p.start(); lastErr == nil {
				t.Cleanup(func() { p.stop() })
				return p
			}
		}
	}
	t.Fatalf("testpeer: postfix: %v", lastErr)
	return nil
}

// setUp makes the directories, the PKI and the SASL account.
func (p *Postfix) setUp(t testing.TB) error {
	owner, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("no postfix user (%v): install Debian's postfix package", err)
	}
	p.uid, _ = strconv.Atoi(owner.Uid)
	p.gid, _ = strconv.Atoi(owner.Gid)
	if err := os.Chmod(p.dir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"conf/sasl", "queue", "data", "mail", "pki"} {
		if err := os.MkdirAll(filepath.Join(p.dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{"data", "mail"} {
		if err := os.Chown(filepath.Join(p.dir, d), p.uid, p.gid); err != nil {
			return err
		}
	}
	p.PKI = NewPKI(t, filepath.Join(p.dir, "pki"))
	p.PasswordFile = filepath.Join(p.dir, "pki", "smtp-password")
	if err := os.WriteFile(p.PasswordFile, []byte(p.Password+"\n"), 0o600); err != nil {
		return err
	}
	return p.saslUser()
}

func (p *Postfix) saslUser() error {
	db := filepath.Join(p.dir, "conf", "sasl", "sasldb2")
	local, realm, _ := strings.Cut(p.User, "@")
	cmd := exec.Command("saslpasswd2", "-f", db, "-p", "-c", "-u", realm, local)
	cmd.Stdin = strings.NewReader(p.Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("saslpasswd2: %v: %s", err, out)
	}
	conf := "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: " + db + "\n"
	if err := os.WriteFile(filepath.Join(p.dir, "conf", "sasl", "smtpd.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	return os.Chown(db, p.uid, -1)
}

// configure picks ports and writes main.cf and master.cf.
func (p *Postfix) configure() error {
	var ports [4]int
	for i := range ports {
		var err error
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	addr := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	p.StartTLS, p.TLS, p.Plain, p.PlainAuth = addr(ports[0]), addr(ports[1]), addr(ports[2]), addr(ports[3])
	conf := filepath.Join(p.dir, "conf")
	if err := os.WriteFile(filepath.Join(conf, "main.cf"), []byte(p.mainCF()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(conf, "master.cf"), []byte(p.masterCF()), 0o644)
}

func (p *Postfix) mainCF() string {
	d := p.dir
	return `compatibility_level = 3.6
queue_directory = ` + d + `/queue
data_directory = ` + d + `/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ` + d + `/maillog
maillog_file_prefixes = ` + d + `
myhostname = mail.test
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
virtual_mailbox_domains = ` + strings.Join(PostfixDomains, ", ") + `
virtual_mailbox_base = ` + d + `/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:` + strconv.Itoa(p.uid) + `
virtual_gid_maps = static:` + strconv.Itoa(p.gid) + `
virtual_minimum_uid = 1
smtpd_tls_cert_file = ` + p.PKI.ServerCert + `
smtpd_tls_key_file = ` + p.PKI.ServerKey + `
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
`
}

// masterCF runs every daemon unchrooted: a chroot would need copies of
// the libraries and the sasldb inside the queue directory.
func (p *Postfix) masterCF() string {
	return p.StartTLS + ` inet n - n - - smtpd
` + p.TLS + ` inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_mechanism_filter=login
` + p.Plain + ` inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=permit_mynetworks,reject -o smtpd_recipient_restrictions=permit_mynetworks,reject
` + p.PlainAuth + ` inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no
  -o syslog_name=postfix/plainauth
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
proxymap  unix - - n - - proxymap
error     unix - - n - - error
retry     unix - - n - - error
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`
}

// Start starts the instance again after Stop, on the same ports.
func (p *Postfix) Start(t testing.TB) {
	t.Helper()
	if err := p.start(); err != nil {
		t.Fatalf("testpeer: postfix: %v", err)
	}
}

// Stop stops the instance; connections to its ports are refused until
// Start.
func (p *Postfix) Stop(t testing.TB) {
	t.Helper()
	if err := p.stop(); err != nil {
		t.Fatalf("testpeer: postfix: %v", err)
	}
}

func (p *Postfix) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		return errors.New("already running")
	}
	conf := filepath.Join(p.dir, "conf")
	// postfix check creates the queue's directories with their owners.
	if out, err := exec.Command("postfix", "-c", conf, "check").CombinedOutput(); err != nil {
		return fmt.Errorf("postfix check: %v: %s%s", err, out, p.log())
	}
	cmd := exec.Command("/usr/lib/postfix/sbin/master", "-c", conf, "-d")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MAIL_CONFIG=" + conf}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	p.proc, p.done = cmd, done
	if err := p.waitReady(done); err != nil {
		p.kill()
		return fmt.Errorf("master: %v: %s%s", err, out.String(), p.log())
	}
	return nil
}

// waitReady waits until every listener greets.
func (p *Postfix) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(postfixWait)
	for _, addr := range []string{p.StartTLS, p.Plain, p.PlainAuth} {
		for !greets(addr) {
			select {
			case <-done:
				return errors.New("the master exited")
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not greet after %v", addr, postfixWait)
			}
		}
	}
	return nil
}

func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4)
	n, _ := c.Read(b)
	return string(b[:n]) == "220 "
}

func (p *Postfix) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return nil
	}
	p.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		p.proc = nil
		return nil
	case <-time.After(postfixWait):
		p.kill()
		return fmt.Errorf("the master ignored SIGTERM for %v; killed", postfixWait)
	}
}

// kill ends the master and its daemons at once. p.mu is held.
func (p *Postfix) kill() {
	syscall.Kill(-p.proc.Process.Pid, syscall.SIGKILL)
	<-p.done
	p.proc = nil
}

// log returns the instance's log, for a failure's message.
func (p *Postfix) log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return "\nmaillog:\n" + string(b)
}

// Log returns what Postfix logged so far.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return string(b)
}
