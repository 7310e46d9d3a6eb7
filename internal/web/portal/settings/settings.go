// Package settings holds the portal's settings and their one parser each:
// the self_enroll policy, the public address, and the bounds and defaults
// of session and invitation lifetimes. Package config reads [portal] with
// them and package web/portal serves by them.
package settings

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults and bounds of the lifetimes.
const (
	DefaultIdle      = 15 * time.Minute
	DefaultLifetime  = 8 * time.Hour
	DefaultInviteTTL = 72 * time.Hour
	MinInviteTTL     = 5 * time.Minute
	MaxInviteTTL     = 30 * 24 * time.Hour
)

// SelfEnroll is who may enroll a token without an admin's invitation.
type SelfEnroll string

const (
	// FirstTokenOnly (the default) lets a user who has no token enroll one
	// after the first factor; a user who holds any token, enabled or not,
	// needs an invitation for another. A password thief can therefore bind
	// a token only to an account that has none yet.
	FirstTokenOnly SelfEnroll = "first-token-only"
	// Always adds: a user signed in with their second factor may enroll
	// more tokens themself.
	Always SelfEnroll = "always"
	// Never: every token comes from an admin (otpgate enroll) or an
	// invitation (otpgate invite).
	Never SelfEnroll = "never"
)

// ParseSelfEnroll reads a self_enroll policy by its name; "" is the
// default, FirstTokenOnly. It is the one parser of the setting.
func ParseSelfEnroll(s string) (SelfEnroll, error) {
	switch p := SelfEnroll(strings.TrimSpace(s)); p {
	case "":
		return FirstTokenOnly, nil
	case FirstTokenOnly, Always, Never:
		return p, nil
	}
	return "", fmt.Errorf("self_enroll %q is not a policy (accepted: %s, %s, %s)", s, FirstTokenOnly, Always, Never)
}

// ParsePublicURL reads the address users reach the portal at:
// https://host[:port], served at the root of its host. It is the origin a
// form must come from and where an invitation's link points.
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("public_url %q is not the portal's address (accepted: https://host[:port], e.g. \"https://vpn.example.org\")", s)
	}
	u.Path = ""
	return u, nil
}
