package openvpn

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(Env{})
	if err != nil || c != DefaultConfig() {
		t.Fatalf("ConfigFromEnv(empty) = %+v, %v; want the defaults", c, err)
	}
	if c.ChallengeTimeout != 300*time.Second || c.ChallengeText != "" || c.IssuerName != "OpenVPN Server" {
		t.Errorf("defaults = %+v; want the SparkLabs guide's 300 s and issuer, and the login service's prompt", c)
	}
	c, err = ConfigFromEnv(Env{
		EnvChallengeTimeout: "120", EnvChallengeText: "Code, please", EnvTokenDBPath: "/var/lib/x.sqlite3",
		EnvIssuerName: "Example VPN", EnvStyle: "Static", EnvTokenKey: "/etc/otpgate/token.key", EnvTokenLifetime: "3600",
	})
	want := Config{Style: StyleStatic, ChallengeTimeout: 120 * time.Second, ChallengeText: "Code, please",
		TokenDBPath: "/var/lib/x.sqlite3", IssuerName: "Example VPN", TokenKeyPath: "/etc/otpgate/token.key", TokenLifetime: time.Hour}
	if err != nil || c != want {
		t.Errorf("ConfigFromEnv = %+v, %v; want %+v", c, err, want)
	}
	for _, env := range []Env{
		{EnvChallengeTimeout: "0"}, {EnvChallengeTimeout: "-5"}, {EnvChallengeTimeout: "5m"}, {EnvChallengeTimeout: "86401"},
		{EnvChallengeText: ""}, {EnvChallengeText: "a\nb"}, {EnvChallengeText: strings.Repeat("x", 513)}, {EnvChallengeText: "\xff"},
		{EnvStyle: "totp"}, {EnvTokenLifetime: "0"}, {EnvIssuerName: ""},
	} {
		if _, err := ConfigFromEnv(env); err == nil {
			t.Errorf("ConfigFromEnv(%q) = nil error", env)
		}
	}
}

func TestParseEnv(t *testing.T) {
	env := ParseEnv([]string{"a=1", "b==2", "noequals", "=x", "a=3", "IV_SSO=webauth,crtext"})
	if env["a"] != "3" || env["b"] != "=2" || len(env) != 3 || !env.supportsCRText() {
		t.Errorf("ParseEnv = %q", env)
	}
	if (Env{EnvIVSSO: "crtextx,webauth"}).supportsCRText() {
		t.Errorf("supportsCRText matched a prefix")
	}
	if got := (Env{EnvUntrustedIP6: "2001:db8::1", EnvTrustedIP: "192.0.2.1"}).Source(); got != "2001:db8::1" {
		t.Errorf("Source = %q", got)
	}
}

func TestLogUser(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := logUser(long)
	if len(got) > 90 || !strings.HasSuffix(got, "...(200 bytes)") {
		t.Errorf("logUser(200 bytes) = %q", got)
	}
}
