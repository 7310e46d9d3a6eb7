package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/oob"
)

// OOB is the [oob] table: codes sent by email and SMS (package oob). A key
// left out, or 0, takes package oob's default, except resend_after, where
// "0s" allows a new code at once. Without [oob.smtp] no email is sent, and
// without [oob.sms.http] no SMS to a phone number.
type OOB struct {
	Digits         int       `toml:"digits"`
	Lifetime       Duration  `toml:"lifetime"`
	ResendAfter    *Duration `toml:"resend_after"`
	SendsPerUser   int       `toml:"sends_per_user"`
	SendsPerSource int       `toml:"sends_per_source"`
	LimitWindow    Duration  `toml:"limit_window"`
	VPNName        string    `toml:"vpn_name"`
	Email          OOBEmail  `toml:"email"`
	SMTP           *OOBSMTP  `toml:"smtp"`
	SMS            OOBSMS    `toml:"sms"`
}

// OOBEmail is [oob.email]: the message's templates.
type OOBEmail struct {
	Subject string `toml:"subject"`
	Body    string `toml:"body"`
}

// OOBSMTP is [oob.smtp], the mail relay (oob.SMTPSettings).
type OOBSMTP struct {
	Server       string   `toml:"server"`
	TLS          string   `toml:"tls"`
	RequireTLS   bool     `toml:"require_tls"`
	CAFile       string   `toml:"ca_file"`
	ServerName   string   `toml:"server_name"`
	Username     string   `toml:"username"`
	PasswordFile string   `toml:"password_file"`
	From         string   `toml:"from"`
	Helo         string   `toml:"helo"`
	Timeout      Duration `toml:"timeout"`
}

// OOBSMS is [oob.sms]: the text of an SMS and the HTTP gateway.
type OOBSMS struct {
	Body string   `toml:"body"`
	HTTP *OOBHTTP `toml:"http"`
}

// OOBHTTP is [oob.sms.http], the HTTP SMS gateway (oob.HTTPSettings).
type OOBHTTP struct {
	URL           string            `toml:"url"`
	Method        string            `toml:"method"`
	Format        string            `toml:"format"`
	Body          string            `toml:"body"`
	Headers       map[string]string `toml:"headers"`
	APIKeyFile    string            `toml:"api_key_file"`
	CAFile        string            `toml:"ca_file"`
	SuccessStatus []int             `toml:"success_status"`
	SuccessField  string            `toml:"success_field"`
	SuccessValue  string            `toml:"success_value"`
	Timeout       Duration          `toml:"timeout"`
}

// Settings returns the settings o asks for, on package oob's defaults, with
// the lockout of the engine's policy p: out-of-band tokens lock like every
// other token.
func (o OOB) Settings(p engine.Policy) oob.Settings {
	s := oob.DefaultSettings()
	setInt(&s.Digits, o.Digits)
	setInt(&s.SendsPerUser, o.SendsPerUser)
	setInt(&s.SendsPerSource, o.SendsPerSource)
	setDuration(&s.Lifetime, o.Lifetime)
	setDuration(&s.Window, o.LimitWindow)
	if o.ResendAfter != nil {
		s.ResendAfter = o.ResendAfter.Duration
	}
	setString(&s.VPNName, o.VPNName)
	setString(&s.Email.Subject, o.Email.Subject)
	setString(&s.Email.Body, o.Email.Body)
	setString(&s.SMSBody, o.SMS.Body)
	s.Lockout = oob.Lockout{MaxFailures: p.MaxFailures, LockFor: p.LockFor}
	if m := o.SMTP; m != nil {
		s.SMTP = &oob.SMTPSettings{Server: m.Server, TLS: m.TLS, RequireTLS: m.RequireTLS, CAFile: m.CAFile,
			ServerName: m.ServerName, Username: m.Username, PasswordFile: m.PasswordFile, From: m.From,
			Helo: m.Helo, Timeout: m.Timeout.Duration}
		if s.SMTP.TLS == "" {
			s.SMTP.TLS = oob.TLSStartTLS
		}
		if s.SMTP.Timeout == 0 {
			s.SMTP.Timeout = oob.DefaultTimeout
		}
	}
	if h := o.SMS.HTTP; h != nil {
		s.HTTP = &oob.HTTPSettings{URL: h.URL, Method: h.Method, Format: h.Format, Body: h.Body,
			Headers: h.Headers, APIKeyFile: h.APIKeyFile, CAFile: h.CAFile, SuccessStatus: h.SuccessStatus,
			SuccessField: h.SuccessField, SuccessValue: h.SuccessValue, Timeout: h.Timeout.Duration}
		if s.HTTP.Timeout == 0 {
			s.HTTP.Timeout = oob.DefaultTimeout
		}
	}
	return s
}

// set* put v into dst unless v is the zero value, which keeps the default.
func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

func setDuration(dst *time.Duration, v Duration) {
	if v.Duration != 0 {
		*dst = v.Duration
	}
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// checkOOB checks [oob]: its file names here, every other value by package
// oob's own rules (Settings.Validate), which name the key.
func (c *Config) checkOOB() error {
	o := c.OOB
	files := map[string]string{}
	if o.SMTP != nil {
		files["oob.smtp.password_file"], files["oob.smtp.ca_file"] = o.SMTP.PasswordFile, o.SMTP.CAFile
	}
	if o.SMS.HTTP != nil {
		files["oob.sms.http.api_key_file"], files["oob.sms.http.ca_file"] = o.SMS.HTTP.APIKeyFile, o.SMS.HTTP.CAFile
	}
	for _, key := range slices.Sorted(maps.Keys(files)) {
		if p := files[key]; p != "" && !filepath.IsAbs(p) {
			return fmt.Errorf("%s %q is not an absolute path", key, p)
		}
	}
	return o.Settings(c.Policy.Engine()).Validate()
}
