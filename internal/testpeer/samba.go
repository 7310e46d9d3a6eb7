package testpeer

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// A throwaway Active Directory domain controller for tests: Debian's Samba
// provisioned with `samba-tool domain provision --targetdir` into a
// temporary directory, run in the foreground (`samba -i`) inside a network
// namespace of its own, since its LDAP ports (389, 636) cannot be moved.
// The test reaches it through relays on 127.0.0.1 in its own namespace
// (Netns.Forward). Samba's self-made certificate names its host in the
// subject's CN only, which Go refuses (no subjectAltName), so the DC is
// given a certificate from a [PKI] made for it, as an administrator would.

// SambaRealm and the other names of the test domain.
const (
	SambaRealm      = "SAMDOM.EXAMPLE.COM"
	SambaDomain     = "SAMDOM"
	SambaDNSDomain  = "samdom.example.com"
	SambaBaseDN     = "DC=samdom,DC=example,DC=com"
	SambaUsersDN    = "CN=Users," + SambaBaseDN
	SambaServerName = "dc1.samdom.example.com"
)

// sambaWait bounds provisioning and start: both take seconds alone, and
// much longer on a loaded machine.
const sambaWait = 5 * time.Minute

// Samba is a running domain controller.
type Samba struct {
	AdminPassword string // of Administrator, chosen at random by samba-tool
	PKI           *PKI
	// URL is ldap:// to the DC's port 389 (StartTLS), LDAPSURL ldaps:// to
	// 636, both through relays.
	URL, LDAPSURL string

	ns     Netns
	dir    string
	log    Buffer
	cmd    *exec.Cmd
	exited chan struct{}
	admin  *ldap.Conn
}

// NewSamba provisions a domain and starts its DC for t; both are gone when
// t ends.
func NewSamba(t testing.TB) *Samba {
	t.Helper()
	Need(t, "samba-tool", "samba")
	s := &Samba{dir: t.TempDir()}
	s.PKI = NewPKI(t, s.dir, SambaServerName)
	s.provision(t)
	s.ns = NewNetns(t, "otpg-samba")
	s.start(t)
	s.URL = "ldap://" + s.ns.Forward(t, "127.0.0.1:389")
	s.LDAPSURL = "ldaps://" + s.ns.Forward(t, "127.0.0.1:636")
	s.waitReady(t)
	return s
}

var adminPassword = regexp.MustCompile(`(?m)Admin password:\s+(\S+)\s*$`)

func (s *Samba) provision(t testing.TB) {
	t.Helper()
	options := []string{
		"interfaces=lo", "bind interfaces only=yes", "server services=ldap",
		"tls enabled=yes", "tls keyfile=" + s.PKI.ServerKey, "tls certfile=" + s.PKI.ServerCert, "tls cafile=" + s.PKI.CAFile,
		"log file=" + filepath.Join(s.dir, "log.%m"),
	}
	args := []string{"domain", "provision", "--realm=" + SambaRealm, "--domain=" + SambaDomain, "--server-role=dc",
		"--dns-backend=NONE", "--host-name=dc1", "--targetdir=" + filepath.Join(s.dir, "dc")}
	for _, o := range options {
		args = append(args, "--option="+o)
	}
	out, err := exec.Command("samba-tool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testpeer: samba-tool domain provision: %v\n%s", err, out)
	}
	m := adminPassword.FindSubmatch(out)
	if m == nil {
		t.Fatalf("testpeer: samba-tool domain provision printed no admin password:\n%s", out)
	}
	s.AdminPassword = string(m[1])
}

func (s *Samba) start(t testing.TB) {
	t.Helper()
	cmd := s.ns.Exec("samba", "-i", "-M", "single", "-s", filepath.Join(s.dir, "dc", "etc", "smb.conf"))
	cmd.Stdout, cmd.Stderr = &s.log, &s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testpeer: samba: %v", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.stop)
}

// stop ends samba and every process it started (they share its group).
func (s *Samba) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// waitReady waits until the Administrator can bind over ldaps.
func (s *Samba) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(sambaWait)
	for {
		c, err := s.dialAdmin()
		if err == nil {
			s.admin = c
			t.Cleanup(func() { c.Close() })
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("testpeer: samba exited:\n%s", s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("testpeer: samba not answering after %v: %v\n%s", sambaWait, err, s.log.String())
		}
	}
}

func (s *Samba) dialAdmin() (*ldap.Conn, error) {
	pem, err := os.ReadFile(s.PKI.CAFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	c, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: roots, ServerName: SambaServerName}))
	if err != nil {
		return nil, err
	}
	if err := c.Bind("Administrator@"+SambaDNSDomain, s.AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Admin returns the harness's connection, bound as the Administrator.
func (s *Samba) Admin() *ldap.Conn { return s.admin }

// SambaUser is a user to create.
type SambaUser struct {
	Account, Password string
	CN                string            // default Account
	Attributes        map[string]string // mail, displayName, ...
	// Control is userAccountControl; default 512 (a normal, enabled
	// account).
	Control int
}

// AddUser creates u under CN=Users and returns its DN.
func (s *Samba) AddUser(t testing.TB, u SambaUser) string {
	t.Helper()
	dn := "CN=" + ldap.EscapeDN(cmp.Or(u.CN, u.Account)) + "," + SambaUsersDN
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	req.Attribute("sAMAccountName", []string{u.Account})
	req.Attribute("userPrincipalName", []string{u.Account + "@" + SambaDNSDomain})
	req.Attribute("unicodePwd", []string{unicodePwd(u.Password)})
	req.Attribute("userAccountControl", []string{strconv.Itoa(cmp.Or(u.Control, 512))})
	for k, v := range u.Attributes {
		req.Attribute(k, []string{v})
	}
	if err := s.admin.Add(req); err != nil {
		t.Fatalf("testpeer: samba: add user %s: %v", dn, err)
	}
	return dn
}

// AddGroup creates a global security group under CN=Users holding members
// (DNs) and returns its DN.
func (s *Samba) AddGroup(t testing.TB, name string, members ...string) string {
	t.Helper()
	dn := "CN=" + ldap.EscapeDN(name) + "," + SambaUsersDN
	req := ldap.NewAddRequest(dn, nil)
	req.Attribute("objectClass", []string{"top", "group"})
	req.Attribute("sAMAccountName", []string{name})
	if len(members) > 0 {
		req.Attribute("member", members)
	}
	if err := s.admin.Add(req); err != nil {
		t.Fatalf("testpeer: samba: add group %s: %v", dn, err)
	}
	return dn
}

// Replace sets attr of dn to values, as the Administrator.
func (s *Samba) Replace(t testing.TB, dn, attr string, values ...string) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace(attr, values)
	if err := s.admin.Modify(req); err != nil {
		t.Fatalf("testpeer: samba: modify %s %s: %v", dn, attr, err)
	}
}

// Delete removes values of attr from dn, as the Administrator.
func (s *Samba) Delete(t testing.TB, dn, attr string, values ...string) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	req.Delete(attr, values)
	if err := s.admin.Modify(req); err != nil {
		t.Fatalf("testpeer: samba: modify %s %s: %v", dn, attr, err)
	}
}

// Log is samba's output so far.
func (s *Samba) Log() string { return s.log.String() }

// unicodePwd encodes a password as AD takes it: the password in double
// quotes, UTF-16LE ([MS-ADTS] 3.1.1.3.1.5.1).
func unicodePwd(pw string) string {
	units := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return string(b)
}
