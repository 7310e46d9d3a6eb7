package policy

import (
	"fmt"
	"strings"
)

// Explain writes the decision for a person: each rule looked at, in order,
// and why it matched or not, then the outcome.
func (d Decision) Explain() string {
	var b strings.Builder
	for i, s := range d.Trace {
		verdict := "no match"
		if s.Matched {
			verdict = "match"
		}
		fmt.Fprintf(&b, "rule %d %q: %s: %s\n", i+1, s.Rule, verdict, s.Why)
	}
	if d.Rule == DefaultRule {
		b.WriteString("no rule matched: the default applies\n")
	}
	fmt.Fprintf(&b, "decision (%s): %s\n", d.Rule, d.Outcome)
	return b.String()
}

// String writes the outcome on one line.
func (o Outcome) String() string {
	if o.Deny {
		return "deny"
	}
	parts := []string{"otp " + string(o.OTP)}
	if len(o.TokenTypes) > 0 {
		parts = append(parts, "token types "+strings.Join(o.TokenTypes, ", "))
	}
	if o.Forward != "" {
		parts = append(parts, "a user without an allowed token is forwarded to "+o.Forward)
	}
	for _, p := range o.Reply {
		parts = append(parts, fmt.Sprintf("reply %s = %q", p.Attr.Name, p.Text))
	}
	return strings.Join(parts, "; ")
}
