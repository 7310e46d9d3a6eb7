package config

import (
	"strings"
	"testing"
	"time"
)

func TestWeb(t *testing.T) {
	c, err := Parse([]byte(`
[web]
listen = "0.0.0.0:8443"
cert_file = "/etc/otpgate/tls/cert.pem"
key_file = "/etc/otpgate/tls/key.pem"
trusted_proxies = ["10.0.0.0/24", "192.0.2.7"]
cors_origins = ["https://app.example.com"]
max_body = 4096
write_timeout = "30s"
rate_per_key = 0
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Web.Server(nil)
	if s.Listen != "0.0.0.0:8443" || len(s.TrustedProxies) != 2 || s.TrustedProxies[1].String() != "192.0.2.7/32" ||
		s.MaxBody != 4096 || s.WriteTimeout != 30*time.Second || s.ReadTimeout != 10*time.Second ||
		s.PerSource.PerSecond != DefaultWebRatePerSource || c.Web.KeyRate().PerSecond != 0 {
		t.Errorf("Server() = %+v, KeyRate() = %+v", s, c.Web.KeyRate())
	}
	if d := Default(); d.Web.Listen != Off || d.Validate() != nil {
		t.Errorf("Default().Web = %+v; want off and valid", d.Web)
	}
}

func TestWebErrors(t *testing.T) {
	tests := []struct{ name, toml, want string }{
		{"plain on all addresses", "[web]\nlisten = \"0.0.0.0:8080\"\n", "web.listen: web: plain HTTP"},
		{"cert without key", "[web]\nlisten = \"0.0.0.0:8443\"\ncert_file = \"/c.pem\"\n", "go together"},
		{"relative cert", "[web]\nlisten = \"127.0.0.1:8443\"\ncert_file = \"c.pem\"\nkey_file = \"/k.pem\"\n", `web.cert_file "c.pem" is not an absolute path`},
		{"bad listen", "[web]\nlisten = \"8443\"\n", `web.listen "8443"`},
		{"host name", "[web]\nlisten = \"localhost:8443\"\n", "must be an IP address"},
		{"bad proxy", "[web]\nlisten = \"0.0.0.0:8080\"\ntrusted_proxies = [\"proxy\"]\n", "web.trusted_proxies"},
		{"wildcard origin", "[web]\nlisten = \"127.0.0.1:8080\"\ncors_origins = [\"*\"]\n", "web.cors_origins"},
		{"origin with path", "[web]\nlisten = \"127.0.0.1:8080\"\ncors_origins = [\"https://a.example/x\"]\n", "is not an origin"},
		{"tiny body", "[web]\nlisten = \"127.0.0.1:8080\"\nmax_body = 10\n", "web.max_body = 10 is out of range"},
		{"short timeout", "[web]\nlisten = \"127.0.0.1:8080\"\nread_timeout = \"10ms\"\n", "web.read_timeout"},
		{"rate without burst", "[web]\nlisten = \"127.0.0.1:8080\"\nrate_per_key = 5\nburst_per_key = 0\n", "web.rate_per_key = 5 with burst 0"},
		{"negative rate", "[web]\nlisten = \"127.0.0.1:8080\"\nrate_per_source = -1\n", "web.rate_per_source"},
		{"unknown key", "[web]\nlisten = \"127.0.0.1:8080\"\ntls = true\n", `:3: unknown key "web.tls"`},
		{"off, bad value", "[web]\nlisten = \"off\"\nmax_body = 1\n", "web.max_body"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.toml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse() = %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
	// An off front end's transport is not checked: it has none.
	if _, err := Parse([]byte("[web]\nlisten = \"off\"\ncors_origins = [\"https://a.example\"]\n")); err != nil {
		t.Errorf("Parse(web off) = %v", err)
	}
}

func TestPortal(t *testing.T) {
	c, err := Parse([]byte("[web]\nlisten = \"127.0.0.1:8443\"\n[portal]\nenabled = true\nadmins = [\"root\"]\npublic_url = \"https://vpn.example.org\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := c.Portal.URL(); !c.Portal.Enabled || c.Portal.Policy() != "first-token-only" || u.Host != "vpn.example.org" ||
		c.Portal.SessionIdle.Duration != 15*time.Minute {
		t.Errorf("[portal] = %+v; want enabled, first-token-only, vpn.example.org, 15m", c.Portal)
	}
	for _, tt := range []struct{ toml, want string }{
		{"[portal]\nenabled = true\n", "set web.listen too"},
		{"[portal]\nself_enroll = \"sometimes\"\n", `portal.self_enroll "sometimes" is not a policy (accepted: first-token-only, always, never)`},
		{"[portal]\npublic_url = \"http://vpn.example.org\"\n", "portal.public_url"},
		{"[portal]\npublic_url = \"https://vpn.example.org/otp\"\n", "portal.public_url"},
		{"[portal]\nsession_idle = \"10s\"\n", "portal.session_idle"},
		{"[portal]\nsession_idle = \"9h\"\n", "portal.session_idle"},
		{"[portal]\nsession_lifetime = \"30d\"\n", "not a duration"},
		{"[portal]\ninvite_lifetime = \"1m\"\n", "portal.invite_lifetime"},
		{"[portal]\nadmins = [\"\"]\n", "portal.admins"},
	} {
		if _, err := Parse([]byte(tt.toml)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", tt.toml, err, tt.want)
		}
	}
}
