package openvpn

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Style is how OpenVPN clients carry the one-time code.
type Style string

const (
	// StyleCRText asks for the code after the password is accepted, with a
	// crtext pending-auth challenge (auth_pending_file and exit 2, answered
	// through --client-crresponse). Clients that do not announce IV_SSO=crtext
	// get a CRV1 dynamic challenge instead. This is the flow of the SparkLabs
	// TOTP guide.
	StyleCRText Style = "crtext"
	// StyleCRV1 asks for the code with a CRV1 dynamic challenge: the first
	// attempt fails with the challenge and the client reconnects with
	// "CRV1::state_id::code". The client needs --auth-retry interact.
	StyleCRV1 Style = "crv1"
	// StyleStatic expects the static-challenge password
	// "SCRV1:base64(password):base64(code)" (client option static-challenge).
	StyleStatic Style = "static"
	// StyleAppend expects the code appended to the password.
	StyleAppend Style = "append"
	// StyleCode expects the code alone in the password field (no primary
	// password; a client certificate is the other factor).
	StyleCode Style = "code"
)

// ParseStyle accepts the names of the Style constants.
func ParseStyle(s string) (Style, error) {
	switch st := Style(strings.ToLower(strings.TrimSpace(s))); st {
	case StyleCRText, StyleCRV1, StyleStatic, StyleAppend, StyleCode:
		return st, nil
	}
	return "", fmt.Errorf("openvpn: unknown style %q (accepted: crtext, crv1, static, append, code)", s)
}

// Defaults of the SparkLabs TOTP guide (seed 004), and otpgate's token
// lifetime. The guide's default prompt is the login service's
// (auth.DefaultPrompt).
const (
	DefaultChallengeTimeout = 300 * time.Second
	DefaultIssuerName       = "OpenVPN Server"
	DefaultTokenLifetime    = 12 * time.Hour
	maxChallengeTimeout     = 24 * time.Hour
)

// Config is how the OpenVPN front end behaves. Use [DefaultConfig] or
// [ConfigFromEnv]; the zero value is not valid.
type Config struct {
	Style Style
	// ChallengeTimeout is how long a user has to answer a challenge; OpenVPN
	// itself caps a pending auth at max(reneg-sec/2, hand-window).
	ChallengeTimeout time.Duration
	// ChallengeText is the prompt totpChallengeText sets, for the login
	// service the script hooks build (auth.Config.Prompt); empty leaves the
	// service's default. The Authenticator itself always shows the prompt of
	// the challenge the service issued, so that one prompt holds for every
	// front end.
	ChallengeText string
	// TokenDBPath is the store named by totpTokenDbPath; empty when unset,
	// and the caller applies its own default.
	TokenDBPath string
	// IssuerName is the issuer of enrolments (totpIssuerName).
	IssuerName string
	// TokenKeyPath names the key of otpgate's auth tokens; empty turns them off.
	TokenKeyPath  string
	TokenLifetime time.Duration
}

// DefaultConfig returns the crtext style with the guide's defaults.
func DefaultConfig() Config {
	return Config{
		Style:            StyleCRText,
		ChallengeTimeout: DefaultChallengeTimeout,
		IssuerName:       DefaultIssuerName,
		TokenLifetime:    DefaultTokenLifetime,
	}
}

// ConfigFromEnv returns [DefaultConfig] overridden by the knobs set with
// `setenv` in the server configuration (the Env* knob constants). An invalid
// knob is an error: a script refuses the login rather than guess.
func ConfigFromEnv(env Env) (Config, error) {
	c := DefaultConfig()
	var err error
	if v, ok := env[EnvStyle]; ok {
		if c.Style, err = ParseStyle(v); err != nil {
			return c, err
		}
	}
	if v, ok := env[EnvChallengeTimeout]; ok {
		if c.ChallengeTimeout, err = parseKnob(EnvChallengeTimeout, v); err != nil {
			return c, err
		}
	}
	if v, ok := env[EnvTokenLifetime]; ok {
		if c.TokenLifetime, err = parseKnob(EnvTokenLifetime, v); err != nil {
			return c, err
		}
	}
	if v, ok := env[EnvChallengeText]; ok {
		if err := checkText("challenge text", v, MaxChallengeText); err != nil {
			return c, err
		}
		c.ChallengeText = v
	}
	if v, ok := env[EnvIssuerName]; ok {
		c.IssuerName = v
	}
	c.TokenDBPath = env[EnvTokenDBPath]
	c.TokenKeyPath = env[EnvTokenKey]
	return c, c.Validate()
}

// ParseDuration reads a duration knob: whole seconds ("43200"), as seed
// 004's setenv knobs are written, or a Go duration ("12h", "90s"), as
// otpgate.toml writes durations. Both forms are accepted in both places, so
// that a value copied from one to the other means the same. It must be
// positive and whole seconds.
func ParseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		s += "s"
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("openvpn: %q is not a duration (accepted: whole seconds such as \"43200\", or a duration such as \"12h\")", v)
	case d <= 0 || d%time.Second != 0:
		return 0, fmt.Errorf("openvpn: %q is not a positive whole number of seconds", v)
	}
	return d, nil
}

func parseKnob(name, v string) (time.Duration, error) {
	d, err := ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// Duration is a duration of the OpenVPN front end in otpgate.toml
// ([openvpn] challenge_timeout, token_lifetime), read by [ParseDuration].
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// Validate reports whether c can be used.
func (c Config) Validate() error {
	if _, err := ParseStyle(string(c.Style)); err != nil {
		return err
	}
	if c.ChallengeTimeout < time.Second || c.ChallengeTimeout > maxChallengeTimeout {
		return fmt.Errorf("openvpn: challenge timeout %v out of range (1s to 24h)", c.ChallengeTimeout)
	}
	if c.ChallengeText != "" {
		if err := checkText("challenge text", c.ChallengeText, MaxChallengeText); err != nil {
			return err
		}
	}
	if err := checkText("issuer name", c.IssuerName, MaxChallengeText); err != nil {
		return err
	}
	if c.TokenKeyPath != "" && c.TokenLifetime <= 0 {
		return fmt.Errorf("openvpn: auth-token lifetime must be positive")
	}
	return nil
}

// checkText accepts non-empty printable UTF-8 of at most max bytes: text that
// goes into a protocol line verbatim must not break it.
func checkText(what, s string, max int) error {
	switch {
	case s == "":
		return fmt.Errorf("openvpn: %s is empty", what)
	case len(s) > max:
		return fmt.Errorf("openvpn: %s is %d bytes long (at most %d)", what, len(s), max)
	case !utf8.ValidString(s) || hasControl(s):
		return fmt.Errorf("openvpn: %s must be printable UTF-8", what)
	}
	return nil
}
