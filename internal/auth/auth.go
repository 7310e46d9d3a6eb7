// Package auth is otpgate's login service, [Service]: one path for every
// front end (OpenVPN scripts and management interface, RADIUS, HTTP). A
// front end translates its wire format into a [Request] and the [Response]
// back; the service checks the primary factor (PAM, htpasswd, LDAP or none),
// then the second factor through the engine, and issues and consumes
// challenges. A policy change made here (the prompt, the challenge
// lifetime, how a password and a code are told apart) holds for every front
// end; so does the login policy (package policy), evaluated here and nowhere
// else, for every login and every answer to a challenge (policy.go): a rule
// may skip the code, limit the token types, refuse, add reply attributes, or
// forward a user without a token to a legacy RADIUS server (forward.go).
// Each front end declares the small interface of [Service] it calls.
package auth

import (
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/store"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/raddict"
)

// Style is how a login carries its second factor.
type Style string

const (
	// Appended: the code is the last digits of the password field
	// ("password123456"); one round trip.
	Appended Style = "append"
	// Challenge: the password alone first; when it is right the service
	// answers with a Challenge and the code comes in a second request that
	// names it.
	Challenge Style = "challenge"
	// CodeOnly: no primary password; the password field is the code (or a
	// prefixed HOTP / Yubico OTP that also names the user).
	CodeOnly Style = "code"
	// Separate: password and code arrive together in separate fields (the
	// OpenVPN static challenge, SCRV1).
	Separate Style = "separate"
)

// ParseStyle reads a login style by its name ("append", "challenge",
// "code" or "separate"), as a configuration file writes it. It is the one
// parser of login styles; a front end that cannot carry one of them (RADIUS
// has no separate code field) refuses it after parsing.
func ParseStyle(s string) (Style, error) {
	switch st := Style(strings.ToLower(strings.TrimSpace(s))); st {
	case Appended, Challenge, CodeOnly, Separate:
		return st, nil
	}
	return "", fmt.Errorf("auth: style %q is not a login style (accepted: %s, %s, %s, %s)", s, Appended, Challenge, CodeOnly, Separate)
}

// Request is one login attempt, or one answer to a challenge.
type Request struct {
	User     string
	Password string // primary password, or password+code (Appended), or the code (CodeOnly)
	Code     string // the code, for Separate and for answers to a challenge
	// ChallengeID, when set, makes this the answer to that challenge; the
	// service takes the user from the challenge, not from the request.
	ChallengeID string
	Style       Style
	Frontend    store.Actor // store.ActorRADIUS, store.ActorOpenVPN, ...: for the audit trail
	Source      string      // client or NAS address: for the audit trail
	// Client is the address of the user's machine as the front end learned
	// it (OpenVPN's untrusted_ip, a NAS's Calling-Station-Id), or empty
	// when the front end knows only its NAS. Failed logins are counted
	// against it, whatever the user (Config.ClientLimit).
	Client string
	// NAS is the name of the RADIUS client that sent the request: a policy
	// rule's `nas`. Client is a rule's `from`.
	NAS string
	// Attributes are the NAS's request attributes, which a login forwarded
	// to a legacy RADIUS server carries on; nil for other front ends. A
	// pointer keeps Request comparable.
	Attributes *layeh.Attributes
}

// Outcome is the service's decision.
type Outcome int

const (
	Reject Outcome = iota
	Accept
	ChallengeIssued
)

func (o Outcome) String() string {
	return [...]string{"reject", "accept", "challenge"}[o]
}

// PendingChallenge is what a front end shows the user after a correct
// password in the Challenge style.
type PendingChallenge struct {
	ID      string // random, single use; RADIUS State, OpenVPN CRV1 state id
	Prompt  string // e.g. "Please enter your TOTP code"
	Echo    bool   // whether the client may echo the answer
	Expires time.Time
}

// Response is the service's answer. Reason is for logs only: a client is
// never told why it was refused.
type Response struct {
	Outcome Outcome
	User    string // the user the login is for (found from a challenge or a token identifier), as given
	// Canonical is the name User's tokens are stored under: User, unless
	// the [ldap] directory mapped the name as given (EXAMPLE\alice) onto
	// another (alice). A front end that looks up the user's tokens or keeps
	// a session for them uses this one.
	Canonical string
	Challenge *PendingChallenge
	Reason    string
	// Rule is the policy rule that decided, for logs.
	Rule string
	// Reply are the rule's reply attributes, on Accept; Passed are those
	// of the legacy server a forwarded login was accepted by (RADIUS only).
	Reply  []raddict.Pair
	Passed layeh.Attributes
}
