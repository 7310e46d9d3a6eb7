package mgmt

import (
	"context"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/policy"
	"otpgate.dev/otpgate/internal/raddict"
)

// decidingService is testService with a login policy: its Decide gives
// the rule for the client address it was asked about.
type decidingService struct {
	testService
	t       *testing.T
	deny    bool
	askedIP string
}

func (s *decidingService) Decide(_ context.Context, req auth.Request, user string) (policy.Decision, error) {
	s.askedIP = req.Client
	if s.deny {
		return policy.Decision{Outcome: policy.Outcome{Deny: true}, Rule: "closed"}, nil
	}
	route, err := raddict.Standard().Encode("Framed-Route", "10.20.0.0/16")
	if err != nil {
		s.t.Fatal(err)
	}
	return policy.Decision{Outcome: policy.Outcome{OTP: policy.Required, Reply: []raddict.Pair{route}}, Rule: "staff"}, nil
}

// TestServerPolicyPush: client-auth carries the rule's routes before the
// auth token; a rule that refuses at that point denies the client.
func TestServerPolicyPush(t *testing.T) {
	svc := &decidingService{t: t}
	f := serve(t, newServer(t, svc))
	f.send(connect("CONNECT", 0, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "123456"), "untrusted_ip=192.0.2.7")...)
	f.expect("client-auth 0 1")
	f.expect(`push "route 10.20.0.0 255.255.0.0"`)
	f.expectPrefix(`push "auth-token `)
	f.expect("END")
	f.send("SUCCESS: client-auth command succeeded")
	if svc.askedIP != "192.0.2.7" {
		t.Errorf("the rule was decided for client %q; want untrusted_ip 192.0.2.7", svc.askedIP)
	}
	svc.deny = true
	f.send(connect("CONNECT", 1, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "123456"))...)
	f.expect(`client-deny 1 1 "otpgate: authentication failed"`)
}
