package policy

import (
	"testing"

	"otpgate.dev/otpgate/internal/store"
)

func TestPlan(t *testing.T) {
	totp := store.Token{ID: "t", Type: store.TOTP, Enabled: true}
	yubi := store.Token{ID: "y", Type: store.Yubico, Enabled: true}
	off := store.Token{ID: "o", Type: store.Yubico, Enabled: false}
	dec := func(o Outcome) Decision { return Decision{Outcome: o.normal(), Rule: "r"} }
	hw := []string{"yubico", "hotp-prefixed"}
	tests := []struct {
		name     string
		d        Decision
		tokens   []store.Token
		action   Action
		n        int
		recovery bool
	}{
		{"default with a token", dec(Outcome{}), []store.Token{totp}, Verify, 1, true},
		{"default without a token", dec(Outcome{}), nil, Refuse, 0, true},
		{"only a disabled token", dec(Outcome{}), []store.Token{off}, Refuse, 0, true},
		{"deny", dec(Outcome{Deny: true}), []store.Token{totp}, Refuse, 0, false},
		{"skip", dec(Outcome{OTP: Skip}), nil, PasswordOnly, 0, true},
		{"optional without a token", dec(Outcome{OTP: Optional}), nil, PasswordOnly, 0, true},
		{"optional with a token", dec(Outcome{OTP: Optional}), []store.Token{totp}, Verify, 1, true},
		{"hardware only, app token", dec(Outcome{TokenTypes: hw}), []store.Token{totp}, Refuse, 0, false},
		{"hardware only, both", dec(Outcome{TokenTypes: hw}), []store.Token{totp, yubi}, Verify, 1, false},
		{"hardware only, optional, app token", dec(Outcome{OTP: Optional, TokenTypes: hw}), []store.Token{totp}, PasswordOnly, 0, false},
		{"forward without a token", dec(Outcome{Forward: "rsa"}), nil, Forward, 0, true},
		{"forward with a token", dec(Outcome{Forward: "rsa"}), []store.Token{totp}, Verify, 1, true},
		{"forward with a disallowed token", dec(Outcome{Forward: "rsa", TokenTypes: hw}), []store.Token{totp}, Forward, 0, false},
	}
	for _, tt := range tests {
		p := tt.d.Plan(tt.tokens)
		if p.Action != tt.action || len(p.Tokens) != tt.n || tt.action == Verify && p.Recovery != tt.recovery {
			t.Errorf("%s: Plan = %v with %d tokens, recovery %v; want %v with %d, %v", tt.name, p.Action, len(p.Tokens), p.Recovery, tt.action, tt.n, tt.recovery)
		}
		if p.Action != Verify && p.Reason == "" {
			t.Errorf("%s: Plan gives no reason", tt.name)
		}
	}
}
