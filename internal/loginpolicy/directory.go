package loginpolicy

import (
	"context"
	"fmt"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/policy"
)

// UserLookup is the directory's search for one user (directory.Directory).
type UserLookup interface {
	Lookup(ctx context.Context, given string) (*directory.User, error)
}

// WithDirectory adds to local the groups an [ldap] directory puts a user
// in, nested ones included: each group's DN, and the value of its first
// RDN ("vpn" for cn=vpn,ou=groups,dc=example,dc=org), so that a rule may
// name either. A directory that cannot answer, or does not know the user,
// is an error: the rule cannot be evaluated and the login is refused.
func WithDirectory(local policy.Groups, dir UserLookup) policy.Groups {
	return policy.GroupsFunc(func(ctx context.Context, user string) ([]string, error) {
		gs, err := local.Groups(ctx, user)
		if err != nil {
			return nil, err
		}
		u, err := dir.Lookup(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("directory groups of %q: %w", user, err)
		}
		for _, dn := range u.Groups {
			gs = append(gs, dn)
			if cn := firstRDN(dn); cn != "" {
				gs = append(gs, cn)
			}
		}
		return gs, nil
	})
}

// firstRDN is the value of dn's first attribute, "" when dn does not parse.
func firstRDN(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0].Attributes) == 0 {
		return ""
	}
	return d.RDNs[0].Attributes[0].Value
}
