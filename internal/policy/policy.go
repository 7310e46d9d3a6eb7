// Package policy decides, for each login, which factors it needs and what
// the VPN is told: an ordered list of rules, the first whose conditions all
// hold wins, and a login no rule matches needs a code from any token.
//
// Conditions are the user, the user's groups (local groups in otpgate's
// store, directory groups, or both: the caller supplies them through
// [Groups]), the VPN client's address as the NAS reports it, the NAS, the
// front end and the time of day in a time zone. The outcome is whether a
// code is required, optional or skipped, which token types may give it,
// a refusal, the reply attributes the VPN server receives and the legacy
// RADIUS servers a user without a token is forwarded to.
//
// [Policy.Decide] is the only evaluation: the login service acts on its
// [Decision], and `otpgate policy explain` prints the same Decision's
// [Decision.Explain], so that the two cannot disagree. It fails closed: when
// a rule cannot be evaluated (the directory is down) the decision is a
// refusal and the error says which rule and why.
package policy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"otpgate.dev/otpgate/internal/raddict"
	"otpgate.dev/otpgate/internal/store"
)

// OTP says whether a login needs a one-time code.
type OTP string

const (
	// Required: a code from one of the user's tokens; a user without a
	// token (of an allowed type) is refused.
	Required OTP = "required"
	// Optional: a code if the user has a token of an allowed type; the
	// primary password alone otherwise.
	Optional OTP = "optional"
	// Skip: the primary password alone; no code is asked for.
	Skip OTP = "skip"
)

// Recovery is the name that allows recovery codes in Outcome.TokenTypes.
const Recovery = "recovery"

// Input is what the login service knows of a login when it decides.
type Input struct {
	User string
	// Source is the VPN client's address as the NAS reports it
	// (Calling-Station-Id or Framed-IP-Address for RADIUS, untrusted_ip
	// for OpenVPN); the zero Addr when it is not known, which matches no
	// network.
	Source   netip.Addr
	NAS      string     // the NAS's configured name
	NASAddr  netip.Addr // the address the NAS's request came from
	Frontend string     // "radius", "openvpn", ...
	Time     time.Time
}

// Groups gives a user's groups. The caller supplies it: otpgate's store
// for local groups, the directory, or [Union] of both. An error makes every
// rule that asks for groups unevaluable, which refuses the login.
type Groups interface {
	Groups(ctx context.Context, user string) ([]string, error)
}

// Outcome is what a rule decides.
type Outcome struct {
	// Deny refuses the login whatever it brings.
	Deny bool
	// OTP is Required when empty.
	OTP OTP
	// TokenTypes are the token types that may give the code ("totp",
	// "hotp", "hotp-prefixed", "yubico") and Recovery for recovery codes;
	// empty allows every type and recovery codes.
	TokenTypes []string
	// Reply are the attributes the VPN server receives on success.
	Reply []raddict.Pair
	// Forward names the legacy RADIUS servers a user who holds no token
	// of an allowed type is sent to; a user who holds one is verified here.
	Forward string
}

// Rule is one rule: its conditions (all must hold) and its outcome.
type Rule struct {
	Name string
	Match
	Outcome
}

// Policy is an ordered list of rules. It is immutable and safe for
// concurrent use.
type Policy struct {
	rules  []Rule
	groups Groups
}

// DefaultRule names the outcome of a login that no rule matches.
const DefaultRule = "default"

// New returns the policy of rules, in order, with groups as the source of
// group membership (nil when no rule names a group).
func New(rules []Rule, groups Groups) (*Policy, error) {
	names := make(map[string]bool)
	for i, r := range rules {
		if r.Name == "" || r.Name == DefaultRule || names[r.Name] {
			return nil, fmt.Errorf("policy: rule #%d: the name %q is empty, %q or used twice", i+1, r.Name, DefaultRule)
		}
		names[r.Name] = true
		if err := r.Outcome.check(); err != nil {
			return nil, fmt.Errorf("policy: rule %q: %w", r.Name, err)
		}
		if len(r.Groups) > 0 && groups == nil {
			return nil, fmt.Errorf("policy: rule %q names groups, but no group source is configured", r.Name)
		}
	}
	return &Policy{rules: slices.Clone(rules), groups: groups}, nil
}

func (o Outcome) check() error {
	switch o.OTP {
	case "", Required, Optional, Skip:
	default:
		return fmt.Errorf("otp %q is not one of required, optional, skip", o.OTP)
	}
	if o.Deny && (o.OTP != "" || len(o.TokenTypes) > 0 || len(o.Reply) > 0 || o.Forward != "") {
		return errors.New("deny takes no other outcome")
	}
	if o.OTP == Skip && (len(o.TokenTypes) > 0 || o.Forward != "") {
		return errors.New(`otp = "skip" asks for no code, so token types and forward mean nothing`)
	}
	for _, t := range o.TokenTypes {
		if !slices.Contains(TokenTypeNames, t) {
			return fmt.Errorf("token type %q is not one of %v", t, TokenTypeNames)
		}
	}
	return nil
}

// TokenTypeNames are the names Outcome.TokenTypes accepts.
var TokenTypeNames = []string{string(store.TOTP), string(store.HOTP), string(store.HOTPPrefixed), string(store.Yubico), Recovery}

// Allows reports whether a token of type t may give the code.
func (o Outcome) Allows(t store.TokenType) bool {
	return len(o.TokenTypes) == 0 || slices.Contains(o.TokenTypes, string(t))
}

// AllowsRecovery reports whether a recovery code may stand in for one.
func (o Outcome) AllowsRecovery() bool {
	return len(o.TokenTypes) == 0 || slices.Contains(o.TokenTypes, Recovery)
}

// Decision is the outcome for one login, with the rule that gave it and
// the trace of every rule looked at.
type Decision struct {
	Outcome
	Rule  string // the matching rule's name, or DefaultRule
	Trace []Step
}

// Step is one rule looked at: whether it matched, and why.
type Step struct {
	Rule    string
	Matched bool
	Why     string
}

// Decide evaluates the rules in order for in. On error (a rule could not
// be evaluated) the Decision is a refusal naming that rule, and the error
// says why; the caller logs it and refuses the login.
func (p *Policy) Decide(ctx context.Context, in Input) (Decision, error) {
	var d Decision
	e := &evaluation{ctx: ctx, in: in, groups: p.groups}
	for _, r := range p.rules {
		ok, why, err := e.matches(r.Match)
		if err != nil {
			d.Trace = append(d.Trace, Step{Rule: r.Name, Why: "cannot be evaluated: " + err.Error()})
			d.Outcome, d.Rule = Outcome{Deny: true}, r.Name
			return d, fmt.Errorf("policy: rule %q cannot be evaluated for %q, so the login is refused: %w", r.Name, in.User, err)
		}
		d.Trace = append(d.Trace, Step{Rule: r.Name, Matched: ok, Why: why})
		if ok {
			d.Outcome, d.Rule = r.Outcome.normal(), r.Name
			return d, nil
		}
	}
	d.Outcome, d.Rule = Outcome{OTP: Required}, DefaultRule
	return d, nil
}

func (o Outcome) normal() Outcome {
	if !o.Deny && o.OTP == "" {
		o.OTP = Required
	}
	return o
}
