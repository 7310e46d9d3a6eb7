package directory

import (
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestSlapdTransports logs in over each transport slapd offers, and checks
// that certificate verification refuses a server it should not trust.
func TestSlapdTransports(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{})
	cases := []struct {
		name    string
		mod     func(*Config)
		wantErr string // in the error; "" for a login
	}{
		{"StartTLS", func(c *Config) {}, ""},
		{"ldaps", func(c *Config) { c.URLs, c.StartTLS = []string{s.LDAPSURL()}, false }, ""},
		{"plain on loopback", func(c *Config) { c.StartTLS = false }, ""},
		{"server name", func(c *Config) { c.ServerName = "localhost" }, ""},
		{"untrusted CA", func(c *Config) { c.CAFile = s.PKI.OtherCAFile }, "certificate signed by unknown authority"},
		{"ldaps untrusted CA", func(c *Config) { c.URLs, c.StartTLS, c.CAFile = []string{s.LDAPSURL()}, false, s.PKI.OtherCAFile }, "certificate signed by unknown authority"},
		{"system roots", func(c *Config) { c.CAFile = "" }, "certificate signed by unknown authority"},
		{"wrong server name", func(c *Config) { c.ServerName = "ldap.example.org" }, "not ldap.example.org"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := slapdConfig(s)
			tc.mod(&cfg)
			d := newDirectory(t, cfg)
			_, err := d.Authenticate(ctx(t), "alice", "alice-pw")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Authenticate = %v; want %q", err, tc.wantErr)
			}
			if tc.wantErr != "" && Refused(err) {
				t.Errorf("Refused(%v) = true; a TLS failure is the directory's fault, not the user's", err)
			}
		})
	}
}

// TestSlapdClientCertificate: a slapd that demands a client certificate
// takes otpgate's and refuses a connection without one.
func TestSlapdClientCertificate(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{VerifyClient: true})
	for _, withCert := range []bool{true, false} {
		for _, url := range []string{s.URL(), s.LDAPSURL()} {
			cfg := slapdConfig(s)
			cfg.URLs, cfg.StartTLS = []string{url}, strings.HasPrefix(url, "ldap:")
			if withCert {
				cfg.CertFile, cfg.KeyFile = s.PKI.ClientCert, s.PKI.ClientKey
			}
			_, err := newDirectory(t, cfg).Authenticate(ctx(t), "alice", "alice-pw")
			if (err == nil) != withCert {
				t.Errorf("%s with a client certificate %v: Authenticate = %v", url, withCert, err)
			}
		}
	}
}

// TestPlaintextRefused: ldap:// to anything but loopback needs StartTLS.
func TestPlaintextRefused(t *testing.T) {
	for _, url := range []string{"ldap://ldap.example.org", "ldap://192.0.2.1:389"} {
		_, err := New(Config{URLs: []string{url}, BaseDN: "dc=example,dc=org"})
		if err == nil || !strings.Contains(err.Error(), "in the clear") {
			t.Errorf("New(%s without StartTLS) = %v; want a refusal", url, err)
		}
	}
}
