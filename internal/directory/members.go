package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"otpgate.dev/otpgate/internal/username"
)

// memberPageSize is the page of a paged member search (RFC 2696): Active
// Directory returns at most MaxPageSize (1000) entries per search.
const memberPageSize = 500

// maxMembers bounds the users one group may list.
const maxMembers = 100_000

// Members returns the users in group, directly or through nested groups,
// for bulk enrollment. group is a DN, or the cn of a group under the group
// base DN. A member whose name attribute cannot be a login name is
// returned with a Status saying so; only users the user search would find
// (under the base DN) are returned.
func (d *Directory) Members(ctx context.Context, group string) ([]*User, error) {
	var users []*User
	err := d.run(ctx, func(c *conn) error {
		if err := d.bindService(ctx, c); err != nil {
			return err
		}
		dn, err := d.groupDN(ctx, c, group)
		if err != nil {
			return err
		}
		if d.cfg.GroupMode == InChain {
			users, err = d.chainMembers(ctx, c, dn)
		} else {
			users, err = d.walkMembers(ctx, c, dn)
		}
		return err
	})
	return users, err
}

// groupDN finds the one group named by a DN or a cn.
func (d *Directory) groupDN(ctx context.Context, c *conn, group string) (string, error) {
	base, scope, filter := d.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, fmt.Sprintf("(&%s(cn=%s))", d.cfg.GroupFilter, ldap.EscapeFilter(group))
	if strings.Contains(group, "=") {
		if _, err := ldap.ParseDN(group); err != nil {
			return "", fmt.Errorf("directory: group %q is not a DN", group)
		}
		base, scope, filter = group, ldap.ScopeBaseObject, d.cfg.GroupFilter
	} else if err := username.Check(group); err != nil {
		return "", fmt.Errorf("directory: group name %q: %v", group, err)
	}
	res, err := d.search(ctx, c, base, scope, filter, 2, noAttributes)
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || err == nil && len(res.Entries) == 0:
		return "", fmt.Errorf("directory: no group %q under %s", group, d.cfg.GroupBaseDN)
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || err == nil && len(res.Entries) > 1:
		return "", fmt.Errorf("directory: more than one group is called %q; give its DN", group)
	case err != nil:
		return "", err
	}
	return res.Entries[0].DN, nil
}

// chainMembers asks Active Directory for every user in the group, at any
// depth, in one paged search.
func (d *Directory) chainMembers(ctx context.Context, c *conn, group string) ([]*User, error) {
	filter := fmt.Sprintf("(&%s(memberOf:%s:=%s))", presenceFilter(d.cfg.UserFilter), inChainRule, ldap.EscapeFilter(group))
	req := ldap.NewSearchRequest(d.cfg.BaseDN, ldapScope(d.cfg.Scope), ldap.NeverDerefAliases, maxMembers+1, 0, false, filter, d.userAttr, nil)
	var res *ldap.SearchResult
	err := c.do(ctx, d.cfg.SearchTimeout, func() (err error) {
		res, err = c.l.SearchWithPaging(req, memberPageSize)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("directory: members of %s at %s: %w", group, c.server.url, err)
	}
	users := make([]*User, 0, len(res.Entries))
	for _, e := range res.Entries {
		users = append(users, d.member(e, c.server.url))
	}
	return users, nil
}

// walkMembers follows the member attribute from the group down: a member
// that is a group is walked in turn, any other is read as a user.
func (d *Directory) walkMembers(ctx context.Context, c *conn, group string) ([]*User, error) {
	var users []*User
	_, err := walk([]string{group}, maxMembers, func(dn string) ([]string, error) {
		res, err := d.search(ctx, c, dn, ldap.ScopeBaseObject, d.cfg.GroupFilter, 1, []string{d.cfg.MemberAttribute})
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return nil, err
		}
		if err == nil && len(res.Entries) == 1 {
			return res.Entries[0].GetEqualFoldAttributeValues(d.cfg.MemberAttribute), nil
		}
		u, err := d.readMember(ctx, c, dn)
		if u != nil {
			users = append(users, u)
		}
		return nil, err
	})
	return users, err
}

// readMember reads the user at dn, or returns nil when dn is not a user the
// user search would find.
func (d *Directory) readMember(ctx context.Context, c *conn, dn string) (*User, error) {
	if !d.inScope(dn) {
		return nil, nil
	}
	res, err := d.search(ctx, c, dn, ldap.ScopeBaseObject, presenceFilter(d.cfg.UserFilter), 1, d.userAttr)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) || err == nil && len(res.Entries) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d.member(res.Entries[0], c.server.url), nil
}

// inScope reports whether dn lies where the user search looks.
func (d *Directory) inScope(dn string) bool {
	base, err1 := ldap.ParseDN(d.cfg.BaseDN)
	entry, err2 := ldap.ParseDN(dn)
	if err1 != nil || err2 != nil {
		return false
	}
	switch d.cfg.Scope {
	case ScopeBase:
		return base.EqualFold(entry)
	case ScopeOne:
		return len(entry.RDNs) == len(base.RDNs)+1 && base.AncestorOfFold(entry)
	}
	return base.EqualFold(entry) || base.AncestorOfFold(entry)
}

// member makes a user of a group member's entry, named by its name
// attribute.
func (d *Directory) member(e *ldap.Entry, server string) *User {
	value := e.GetEqualFoldAttributeValue(d.cfg.NameAttribute)
	n, err := d.cfg.mapName(value)
	if err != nil {
		return &User{Name: Name{Given: value}, DN: e.DN, Server: server,
			Status: fmt.Sprintf("its %s %q is not a login name: %v", d.cfg.NameAttribute, value, err)}
	}
	return d.userFrom(e, n, server)
}
