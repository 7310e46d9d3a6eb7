package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/username"
)

// inChainRule is LDAP_MATCHING_RULE_IN_CHAIN ([MS-ADTS] 3.1.1.3.4.4.1): an
// extensible match that follows member links to any depth on the server.
const inChainRule = "1.2.840.113556.1.4.1941"

// noAttributes asks a search for DNs only (RFC 4511 section 4.5.1.8).
var noAttributes = []string{"1.1"}

var errTooDeep = errors.New("directory: groups nested too deep")

// groups returns the DNs of every group u is in, directly or not. e is u's
// entry, whose memberOf the MemberOf mode starts from.
func (d *Directory) groups(ctx context.Context, c *conn, u *User, e *ldap.Entry) ([]string, error) {
	switch d.cfg.GroupMode {
	case InChain:
		filter := fmt.Sprintf("(&%s(%s:%s:=%s))", d.cfg.GroupFilter, d.cfg.MemberAttribute, inChainRule, ldap.EscapeFilter(u.DN))
		return d.dns(ctx, c, d.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, filter)
	case MemberOf:
		return walk(e.GetEqualFoldAttributeValues(attrMemberOf), MaxGroups, func(dn string) ([]string, error) {
			res, err := d.search(ctx, c, dn, ldap.ScopeBaseObject, "(objectClass=*)", 1, []string{attrMemberOf})
			if err != nil || len(res.Entries) == 0 {
				return nil, err
			}
			return res.Entries[0].GetEqualFoldAttributeValues(attrMemberOf), nil
		})
	}
	containing := func(dn string) ([]string, error) {
		filter := fmt.Sprintf("(&%s(%s=%s))", d.cfg.GroupFilter, d.cfg.MemberAttribute, ldap.EscapeFilter(dn))
		return d.dns(ctx, c, d.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, filter)
	}
	direct, err := containing(u.DN)
	if err != nil {
		return nil, err
	}
	return walk(direct, MaxGroups, containing)
}

// dns returns the DNs a search finds, at most MaxGroups of them.
func (d *Directory) dns(ctx context.Context, c *conn, base string, scope int, filter string) ([]string, error) {
	res, err := d.search(ctx, c, base, scope, filter, MaxGroups+1, noAttributes)
	if err != nil {
		return nil, err
	}
	if len(res.Entries) > MaxGroups {
		return nil, fmt.Errorf("directory: more than %d groups for %s", MaxGroups, filter)
	}
	out := make([]string, len(res.Entries))
	for i, e := range res.Entries {
		out[i] = e.DN
	}
	return out, nil
}

// walk returns first and everything next reaches from it, breadth first,
// each DN once, at most limit of them. It fails rather than stop short: a
// deny group beyond the limit must not go unseen.
func walk(first []string, limit int, next func(dn string) ([]string, error)) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	level := first
	for depth := 0; len(level) > 0; depth++ {
		if depth == MaxGroupDepth {
			return nil, fmt.Errorf("%w: over %d levels below %s", errTooDeep, MaxGroupDepth, level[0])
		}
		var below []string
		for _, dn := range level {
			if key := strings.ToLower(dn); seen[key] {
				continue
			} else {
				seen[key] = true
			}
			if out = append(out, dn); len(out) > limit {
				return nil, fmt.Errorf("directory: more than %d entries below %s", limit, first[0])
			}
			more, err := next(dn)
			if err != nil {
				return nil, err
			}
			below = append(below, more...)
		}
		level = below
	}
	return out, nil
}

// groupRef is a require_group or deny_group value: a DN, or a name compared
// with the first RDN's value of each group.
type groupRef struct {
	dn   *ldap.DN
	name string
}

func parseGroupRefs(values []string) ([]groupRef, error) {
	refs := make([]groupRef, 0, len(values))
	for _, v := range values {
		if !strings.Contains(v, "=") {
			if err := username.Check(v); err != nil {
				return nil, fmt.Errorf("%q: %v", v, err)
			}
			refs = append(refs, groupRef{name: v})
			continue
		}
		dn, err := ldap.ParseDN(v)
		if err != nil || len(dn.RDNs) == 0 {
			return nil, fmt.Errorf("%q is neither a group name nor a DN", v)
		}
		refs = append(refs, groupRef{dn: dn})
	}
	return refs, nil
}

func (g groupRef) matches(group *ldap.DN) bool {
	if g.dn != nil {
		return g.dn.EqualFold(group)
	}
	if len(group.RDNs) == 0 {
		return false
	}
	for _, a := range group.RDNs[0].Attributes {
		if strings.EqualFold(a.Value, g.name) {
			return true
		}
	}
	return false
}

func anyMatch(refs []groupRef, groups []*ldap.DN) bool {
	for _, r := range refs {
		for _, g := range groups {
			if r.matches(g) {
				return true
			}
		}
	}
	return false
}

// Permit says whether u may log in: its account is usable, it is in one of
// the required groups (when there are any) and in none of the denied ones.
func (d *Directory) Permit(u *User) error {
	if u.Status != "" {
		return fmt.Errorf("%w: %s", ErrDisabled, u.Status)
	}
	groups := make([]*ldap.DN, 0, len(u.Groups))
	for _, g := range u.Groups {
		dn, err := ldap.ParseDN(g)
		if err != nil {
			return fmt.Errorf("directory: group DN %q from the server: %w", g, err)
		}
		groups = append(groups, dn)
	}
	if len(d.require) > 0 && !anyMatch(d.require, groups) {
		return fmt.Errorf("%w: in none of the required groups", ErrNotPermitted)
	}
	if anyMatch(d.deny, groups) {
		return fmt.Errorf("%w: in a denied group", ErrNotPermitted)
	}
	return nil
}
