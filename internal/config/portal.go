package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	portal "otpgate.dev/otpgate/internal/web/portal/settings"
)

// Portal is the self-service portal and admin console (package
// web/portal), served on [web]'s listener.
type Portal struct {
	// Enabled serves the pages; off by default, so that turning [web] on
	// for the API exposes no sign-in page.
	Enabled bool `toml:"enabled"`
	// SelfEnroll is who may enroll a token without an invitation:
	// "first-token-only" (the default), "always" or "never".
	SelfEnroll string `toml:"self_enroll"`
	// Admins are the users who may open the console, always after their
	// second factor.
	Admins []string `toml:"admins"`
	// PublicURL is where users reach the portal (https://host[:port]): the
	// origin forms must come from and the address of invitation links.
	// Empty: each request's own host, and the links of otpgate invite need
	// --url.
	PublicURL       string   `toml:"public_url"`
	SessionIdle     Duration `toml:"session_idle"`
	SessionLifetime Duration `toml:"session_lifetime"`
	InviteLifetime  Duration `toml:"invite_lifetime"`
}

// Bounds of [portal]'s durations.
const (
	minSessionIdle, maxSessionLifetime = time.Minute, 7 * 24 * time.Hour
)

func defaultPortal() Portal {
	return Portal{SelfEnroll: string(portal.FirstTokenOnly), SessionIdle: Duration{portal.DefaultIdle},
		SessionLifetime: Duration{portal.DefaultLifetime}, InviteLifetime: Duration{portal.DefaultInviteTTL}}
}

func (c *Config) checkPortal() error {
	if err := c.Portal.check(); err != nil {
		return fmt.Errorf("portal.%w", err)
	}
	if c.Portal.Enabled && c.Web.Listen == Off {
		return errors.New("portal.enabled: the portal is served on [web]'s listener; set web.listen too")
	}
	return nil
}

func (p *Portal) check() error {
	if _, err := portal.ParseSelfEnroll(p.SelfEnroll); err != nil {
		return err
	}
	if _, err := p.URL(); err != nil {
		return err
	}
	for _, a := range p.Admins {
		if a == "" {
			return errors.New("admins: an empty name")
		}
	}
	idle, life, inv := p.SessionIdle.Duration, p.SessionLifetime.Duration, p.InviteLifetime.Duration
	switch {
	case idle < minSessionIdle || idle > life:
		return fmt.Errorf("session_idle %q is out of range (accepted: %v up to session_lifetime)", idle, minSessionIdle)
	case life > maxSessionLifetime:
		return fmt.Errorf("session_lifetime %q is out of range (accepted: session_idle up to %v)", life, maxSessionLifetime)
	case inv < portal.MinInviteTTL || inv > portal.MaxInviteTTL:
		return fmt.Errorf("invite_lifetime %q is out of range (accepted: %v to %v)", inv, portal.MinInviteTTL, portal.MaxInviteTTL)
	}
	return nil
}

// URL parses public_url; nil when it is empty.
func (p *Portal) URL() (*url.URL, error) {
	if p.PublicURL == "" {
		return nil, nil
	}
	return portal.ParsePublicURL(p.PublicURL)
}

// Policy is self_enroll, parsed; the configuration must have been
// validated.
func (p *Portal) Policy() portal.SelfEnroll {
	s, _ := portal.ParseSelfEnroll(p.SelfEnroll)
	return s
}
