package openvpn

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/policy"
)

// Decider is the part of the login service that tells which policy rule
// holds for a login (auth.Engine.Decide). A service without it has no
// rules, and OpenVPN is told nothing more.
type Decider interface {
	Decide(ctx context.Context, req auth.Request, user string) (policy.Decision, error)
}

// EnvIfconfigNetmask is the server's tunnel netmask in client-connect's
// environment (topology subnet): the netmask of an ifconfig-push whose rule
// sends no Framed-IP-Netmask.
const EnvIfconfigNetmask = "ifconfig_netmask"

// PolicyConfig returns the lines the rule that holds for an accepted user
// adds to client-connect's configuration (or a management client-auth):
// its reply attributes as OpenVPN options (policy.OpenVPN). It is decided
// again here, with the same inputs as the login (the user and the client's
// address), by the same evaluation; a rule that refuses now, or cannot be
// evaluated, is an error, which refuses the connection.
func (a *Authenticator) PolicyConfig(ctx context.Context, env Env, user string) ([]string, error) {
	d, ok := a.Service.(Decider)
	if !ok {
		return nil, nil
	}
	src := env.Source()
	dec, err := d.Decide(ctx, auth.Request{Frontend: Frontend, Source: src, Client: src}, user)
	if err != nil {
		return nil, err
	}
	if dec.Deny {
		return nil, fmt.Errorf("rule %q denies %s", dec.Rule, user)
	}
	lines, _, err := policy.OpenVPN(dec.Reply, env[EnvIfconfigNetmask])
	if err != nil {
		return nil, errors.Join(fmt.Errorf("rule %q", dec.Rule), err)
	}
	return lines, nil
}
