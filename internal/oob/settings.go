package oob

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Validate reports the first setting that cannot be used, by its key in
// otpgate.toml's [oob] table. It reads no file.
func (s Settings) Validate() error {
	for _, check := range []func() error{s.checkNumbers, s.checkTemplates, s.checkSMTP, s.checkHTTP} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (s Settings) checkNumbers() error {
	var errs []error
	between := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("oob.%s is %d (accepted: %d to %d)", key, v, lo, hi))
		}
	}
	within := func(key string, v, lo, hi time.Duration) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("oob.%s is %v (accepted: %v to %v)", key, v, lo, hi))
		}
	}
	between("digits", s.Digits, MinDigits, MaxDigits)
	within("lifetime", s.Lifetime, MinLifetime, MaxLifetime)
	within("resend_after", s.ResendAfter, 0, s.Lifetime)
	within("limit_window", s.Window, time.Minute, 7*24*time.Hour)
	between("sends_per_user", s.SendsPerUser, 1, store.MaxSendLimit)
	between("sends_per_source", s.SendsPerSource, 1, store.MaxSendLimit)
	if s.Lockout.MaxFailures < 0 || s.Lockout.LockFor < 0 {
		errs = append(errs, errors.New("oob: lockout: max failures and lock duration must not be negative"))
	}
	return errors.Join(errs...)
}

func (s Settings) checkTemplates() error {
	for _, t := range []struct {
		key, text string
		needCode  bool
	}{
		{"email.subject", s.Email.Subject, false},
		{"email.body", s.Email.Body, true},
		{"sms.body", s.SMSBody, true},
	} {
		p, err := ParseTemplate(t.text, messageFields...)
		if err != nil {
			return fmt.Errorf("oob.%s: %w", t.key, err)
		}
		if t.needCode && !p.Uses("code") {
			return fmt.Errorf("oob.%s has no {code}: the message would not carry the code", t.key)
		}
	}
	return nil
}

func (s Settings) checkSMTP() error {
	m := s.SMTP
	if m == nil {
		return nil
	}
	if _, _, err := net.SplitHostPort(m.Server); err != nil || m.Server == "" {
		return fmt.Errorf("oob.smtp.server %q is not host:port (e.g. \"smtp.example.org:587\")", m.Server)
	}
	switch m.TLS {
	case TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("oob.smtp.tls %q is not a mode (accepted: %s, %s)", m.TLS, TLSStartTLS, TLSImplicit)
	}
	if _, err := ParseFrom(m.From); err != nil {
		return fmt.Errorf("oob.smtp.from: %w", err)
	}
	if (m.Username == "") != (m.PasswordFile == "") {
		return errors.New("oob.smtp.username and oob.smtp.password_file go together: set both for AUTH, or neither")
	}
	if hasControl(m.Username) || hasControl(m.Helo) {
		return errors.New("oob.smtp.username and oob.smtp.helo must be printable")
	}
	return checkTimeout("smtp.timeout", m.Timeout)
}

func checkTimeout(key string, d time.Duration) error {
	if d <= 0 || d > MaxTimeout {
		return fmt.Errorf("oob.%s is %v (accepted: more than 0s, at most %v)", key, d, MaxTimeout)
	}
	return nil
}

func (s Settings) checkHTTP() error {
	h := s.HTTP
	if h == nil {
		return nil
	}
	if err := checkURL(h.URL); err != nil {
		return fmt.Errorf("oob.sms.http.url: %w", err)
	}
	switch h.Method {
	case "", http.MethodPost, http.MethodPut:
	default:
		return fmt.Errorf("oob.sms.http.method %q (accepted: POST, PUT: the code goes in the body)", h.Method)
	}
	body, err := parseBody(h.Format, h.Body)
	if err != nil {
		return fmt.Errorf("oob.sms.http.body: %w", err)
	}
	if body.uses("api_key") && h.APIKeyFile == "" {
		return errors.New("oob.sms.http.body uses {api_key}, and oob.sms.http.api_key_file is not set")
	}
	for name, v := range h.Headers {
		if _, err := ParseTemplate(v, headerFields...); err != nil || hasControl(v) || !validHeaderName(name) {
			return fmt.Errorf("oob.sms.http.headers: %q is not a header with a printable value, whose only field is {api_key}", name)
		}
		if strings.Contains(v, "{api_key}") && h.APIKeyFile == "" {
			return fmt.Errorf("oob.sms.http.headers.%s uses {api_key}, and oob.sms.http.api_key_file is not set", name)
		}
	}
	for _, c := range h.SuccessStatus {
		if c < 100 || c > 599 {
			return fmt.Errorf("oob.sms.http.success_status %d is not an HTTP status", c)
		}
	}
	if h.SuccessValue != "" && h.SuccessField == "" {
		return errors.New("oob.sms.http.success_value needs oob.sms.http.success_field")
	}
	return checkTimeout("sms.http.timeout", h.Timeout)
}

// validHeaderName is RFC 9110's token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}
