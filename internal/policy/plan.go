package policy

import (
	"otpgate.dev/otpgate/internal/store"
)

// Action is what the login service does with a login, once it knows the
// decision and the user's tokens.
type Action int

const (
	// Refuse the login, as a wrong code is refused.
	Refuse Action = iota
	// PasswordOnly checks the primary password and nothing else.
	PasswordOnly
	// Verify checks the password and a code from one of Plan.Tokens (or a
	// recovery code, if Plan.Recovery).
	Verify
	// Forward sends the login to the decision's legacy servers.
	Forward
)

func (a Action) String() string {
	return [...]string{"refuse", "password only", "verify", "forward"}[a]
}

// Plan is the decision applied to a user's tokens.
type Plan struct {
	Action Action
	// Tokens are the user's enabled tokens of an allowed type.
	Tokens []store.Token
	// Recovery says whether a recovery code may stand in for a code.
	Recovery bool
	// Reason says why, for the log and the audit trail.
	Reason string
}

// Plan applies d to the user's tokens (all of them; disabled ones are
// left out here). It is the only place where "has a token" is decided:
// enabled, and of a type the rule allows.
func (d Decision) Plan(tokens []store.Token) Plan {
	if d.Deny {
		return Plan{Action: Refuse, Reason: "denied by rule " + d.Rule}
	}
	var allowed []store.Token
	for _, t := range tokens {
		if t.Enabled && d.Allows(t.Type) {
			allowed = append(allowed, t)
		}
	}
	p := Plan{Tokens: allowed, Recovery: d.AllowsRecovery()}
	switch {
	case d.OTP == Skip:
		p.Action, p.Reason = PasswordOnly, "rule "+d.Rule+" skips the code"
	case len(allowed) > 0:
		p.Action = Verify
	case d.Forward != "":
		p.Action, p.Reason = Forward, "no token here: rule "+d.Rule+" forwards to "+d.Forward
	case d.OTP == Optional:
		p.Action, p.Reason = PasswordOnly, "no token: the code is optional under rule "+d.Rule
	default:
		p.Action, p.Reason = Refuse, "no token of an allowed type (rule "+d.Rule+")"
	}
	return p
}
