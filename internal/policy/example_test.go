package policy_test

import (
	"context"
	"fmt"
	"net/netip"

	"otpgate.dev/otpgate/internal/policy"
)

// Decide evaluates the rules in order; Explain prints why.
func Example() {
	mgmt := netip.MustParsePrefix("10.99.0.0/16")
	p, err := policy.New([]policy.Rule{
		{Name: "management network", Match: policy.Match{From: []netip.Prefix{mgmt}}, Outcome: policy.Outcome{OTP: policy.Skip}},
		{Name: "hardware only", Match: policy.Match{Users: []string{"root"}}, Outcome: policy.Outcome{TokenTypes: []string{"yubico"}}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := p.Decide(context.Background(), policy.Input{User: "root", Source: netip.MustParseAddr("203.0.113.7")})
	fmt.Print(d.Explain())
	// Output:
	// rule 1 "management network": no match: from 203.0.113.7 is not in 10.99.0.0/16
	// rule 2 "hardware only": match: user root
	// decision (hardware only): otp required; token types yubico
}
