package daemon

import (
	"context"
	"fmt"
	"net"
	"time"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// managementMaxBackoff bounds the wait between reconnections to the
// management interface.
const managementMaxBackoff = 5 * time.Second

// managementServer returns the management-interface client c describes,
// or nil when the mode is off.
func (d *Daemon) managementServer(c *config.Config) (*mgmt.Server, error) {
	o := c.OpenVPN
	if o.Management == "" {
		return nil, nil
	}
	oc := openvpn.DefaultConfig()
	if o.Style != "" {
		st, err := openvpn.ParseStyle(o.Style)
		if err != nil {
			return nil, err
		}
		oc.Style = st
	}
	if o.ChallengeTimeout.Duration > 0 {
		oc.ChallengeTimeout = o.ChallengeTimeout.Duration
	}
	if o.TokenLifetime.Duration > 0 {
		oc.TokenLifetime = o.TokenLifetime.Duration
	}
	a := &openvpn.Authenticator{Service: d.svc, Config: oc, Now: d.now}
	if o.TokenKeyFile != "" {
		k, err := authtoken.LoadKey(o.TokenKeyFile)
		if err != nil {
			return nil, fmt.Errorf("openvpn.token_key_file: %w", err)
		}
		a.Tokens = k
	}
	pw := ""
	if o.PasswordFile != "" {
		b, err := readSecretFile("openvpn.password_file", o.PasswordFile)
		if err != nil {
			return nil, err
		}
		pw = string(b)
	}
	addr := o.Management
	return &mgmt.Server{
		Auth:     a,
		Dial:     func(ctx context.Context) (net.Conn, error) { return mgmt.Dial(ctx, addr) },
		Password: pw,
		Log:      d.log.With("frontend", "openvpn-management"),
		// The interface is local: after an OpenVPN restart, be back within
		// seconds rather than the library's 30 s ceiling.
		MaxBackoff: managementMaxBackoff,
	}, nil
}
