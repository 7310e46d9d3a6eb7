package daemon

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/testpeer"
)

const daemonLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=otpgate,dc=example,dc=org
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: otpgate
userPassword: service-pw

dn: uid=alice,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Liddell
userPassword: alice-pw
`

// ldapConfig is a daemon configuration with primary = "ldap" against s.
func ldapConfig(t *testing.T, s *testpeer.Slapd) *config.Config {
	dir := t.TempDir()
	pw := filepath.Join(dir, "ldap.pw")
	if err := os.WriteFile(pw, []byte("service-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB, cfg.KeyFile = filepath.Join(dir, "otpgate.db"), filepath.Join(dir, "master.key")
	cfg.RADIUS.Listen, cfg.HTTP.Listen = config.Off, config.Off
	cfg.Auth.Primary = primary.KindLDAP
	cfg.LDAP = config.LDAP{URLs: []string{s.URL()}, StartTLS: true, CAFile: s.PKI.CAFile, BaseDN: "dc=example,dc=org",
		BindDN: "cn=otpgate,dc=example,dc=org", BindPasswordFile: pw}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDaemonDirectory: readiness follows slapd, a login goes through the
// directory, and a reload swaps it.
func TestDaemonDirectory(t *testing.T) {
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: daemonLDIF})
	cfg := ldapConfig(t, s)
	d, err := New(t.Context(), &site.Site{Config: cfg, DB: cfg.DB, KeyFile: cfg.KeyFile}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	ready := func() (int, string) {
		w := httptest.NewRecorder()
		d.ready(w, httptest.NewRequest("GET", "/readyz", nil))
		return w.Code, w.Body.String()
	}
	if code, body := ready(); code != 200 {
		t.Errorf("/readyz with slapd up = %d %q", code, body)
	}
	s.Stop(t)
	if code, body := ready(); code != 503 || body != "directory unavailable\n" {
		t.Errorf("/readyz with slapd down = %d %q; want 503, directory unavailable", code, body)
	}
	s.Start(t)
	if code, body := ready(); code != 200 {
		t.Errorf("/readyz after slapd's restart = %d %q", code, body)
	}
	// alice has no token: the directory lets her through, the engine does not.
	resp, err := d.svc.Authenticate(t.Context(), auth.Request{User: "ALICE", Password: "alice-pw123456", Style: auth.Appended, Frontend: "test"})
	if err != nil || resp.Outcome != auth.Reject || resp.User != "ALICE" {
		t.Errorf("Authenticate(ALICE) = %+v, %v; want a refusal for ALICE, as given", resp, err)
	}
	old := d.dir.Load()
	if err := d.Reload(func() (*config.Config, error) { return ldapConfig(t, s), nil }); err != nil {
		t.Fatal(err)
	}
	if d.dir.Load() == old {
		t.Errorf("the reload kept the old directory")
	}
	if code, _ := ready(); code != 200 {
		t.Errorf("/readyz after the reload = %d", code)
	}
}

// TestDaemonDirectoryBadPasswordFile: a bind password file others can read
// stops the daemon at start, and serve --check, with the key in the error.
func TestDaemonDirectoryBadPasswordFile(t *testing.T) {
	s := testpeer.NewSlapd(t, testpeer.SlapdOptions{LDIF: daemonLDIF})
	cfg := ldapConfig(t, s)
	os.Chmod(cfg.LDAP.BindPasswordFile, 0o604)
	_, err := New(t.Context(), &site.Site{Config: cfg, DB: cfg.DB, KeyFile: cfg.KeyFile}, Options{})
	if err == nil || !strings.Contains(err.Error(), "ldap.bind_password_file") || strings.Contains(err.Error(), "service-pw") {
		t.Errorf("New with a world-readable password file = %v", err)
	}
	if _, err := checkConfig(cfg); err == nil || !strings.Contains(err.Error(), "ldap.bind_password_file") {
		t.Errorf("checkConfig with a world-readable password file = %v", err)
	}
}
