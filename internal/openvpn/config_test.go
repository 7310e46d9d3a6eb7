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
		{EnvChallengeTimeout: "0"}, {EnvChallengeTimeout: "-5"}, {EnvChallengeTimeout: "5 m"}, {EnvChallengeTimeout: "86401"},
		{EnvChallengeTimeout: "1.5s"}, {EnvTokenLifetime: "12hours"},
		{EnvChallengeText: ""}, {EnvChallengeText: "a\nb"}, {EnvChallengeText: strings.Repeat("x", 513)}, {EnvChallengeText: "\xff"},
		{EnvStyle: "totp"}, {EnvTokenLifetime: "0"}, {EnvIssuerName: ""},
	} {
		if _, err := ConfigFromEnv(env); err == nil {
			t.Errorf("ConfigFromEnv(%q) = nil error", env)
		}
	}
}

// TestParseDuration: a duration knob takes whole seconds, as seed 004
// writes them, and Go durations, as otpgate.toml does, in the setenv lines
// and the configuration file alike: `setenv otpgateAuthTokenLifetime 12h`
// refused every login before (issue 14 item 11).
func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"43200": 12 * time.Hour, "12h": 12 * time.Hour, " 300 ": 5 * time.Minute, "1h30m": 90 * time.Minute, "90s": 90 * time.Second,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		var d Duration
		if err := d.UnmarshalText([]byte(in)); err != nil || d.Duration != want {
			t.Errorf("Duration.UnmarshalText(%q) = %v, %v; want %v", in, d.Duration, err, want)
		}
	}
	for _, in := range []string{"", "0", "0s", "-5", "-1h", "1.5s", "500ms", "12 hours", "4294967296", "1e3"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v; want an error", in, got)
		}
	}
	c, err := ConfigFromEnv(Env{EnvTokenLifetime: "12h", EnvChallengeTimeout: "2m"})
	if err != nil || c.TokenLifetime != 12*time.Hour || c.ChallengeTimeout != 2*time.Minute {
		t.Errorf("ConfigFromEnv(12h, 2m) = %+v, %v", c, err)
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
