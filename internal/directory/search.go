package directory

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// User is a directory entry as otpgate sees it.
type User struct {
	Name
	DN string
	// Attributes mapped by [Config.Attributes]; empty when the entry has
	// none.
	DisplayName, Mail, Mobile, Pager string
	// Groups are the DNs of the groups the user is in, directly or not.
	Groups []string
	// Status says why the account cannot log in ("disabled: ..."), empty
	// when it can.
	Status string
	// Server is the URL of the server that answered the search.
	Server string
}

// The attributes that tell an account's state.
const (
	attrUAC         = "userAccountControl"
	attrUACComputed = "msDS-User-Account-Control-Computed"
	attrExpires     = "accountExpires"
	attrPwdLocked   = "pwdAccountLockedTime"
	attrMemberOf    = "memberOf"
)

// userAttributes lists what a user search asks for: a server ignores the
// names its schema lacks (RFC 4511 section 4.5.1.8), so one list serves
// both kinds; the operational and constructed ones must be named.
func userAttributes(c Config) []string {
	a := c.Attributes
	attrs := []string{c.NameAttribute, a.DisplayName, a.Mail, a.Mobile, a.Pager, attrUAC, attrUACComputed, attrExpires, attrPwdLocked}
	if c.GroupMode == MemberOf {
		attrs = append(attrs, attrMemberOf)
	}
	return attrs
}

func ldapScope(s Scope) int {
	switch s {
	case ScopeBase:
		return ldap.ScopeBaseObject
	case ScopeOne:
		return ldap.ScopeSingleLevel
	}
	return ldap.ScopeWholeSubtree
}

// search runs one search on c within SearchTimeout, asking the server to
// stop at sizeLimit entries (0: the server's own limit) and at the timeout.
func (d *Directory) search(ctx context.Context, c *conn, base string, scope int, filter string, sizeLimit int, attrs []string) (*ldap.SearchResult, error) {
	secs := int(math.Ceil(d.cfg.SearchTimeout.Seconds()))
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, sizeLimit, secs, false, filter, attrs, nil)
	var res *ldap.SearchResult
	err := c.do(ctx, d.cfg.SearchTimeout, func() (err error) {
		res, err = c.l.Search(req)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("directory: search %s at %s: %w", base, c.server.url, err)
	}
	return res, nil
}

// searchUser finds the one entry of n's account.
func (d *Directory) searchUser(ctx context.Context, c *conn, n Name) (*User, *ldap.Entry, error) {
	filter := userFilter(d.cfg.UserFilter, n.Account)
	res, err := d.search(ctx, c, d.cfg.BaseDN, ldapScope(d.cfg.Scope), filter, 2, d.userAttr)
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return nil, nil, fmt.Errorf("%w: %s", ErrAmbiguous, filter)
	case err != nil:
		return nil, nil, err
	case len(res.Entries) == 0:
		return nil, nil, ErrNoSuchUser
	case len(res.Entries) > 1:
		return nil, nil, fmt.Errorf("%w: %s", ErrAmbiguous, filter)
	}
	e := res.Entries[0]
	if !slices.ContainsFunc(e.GetEqualFoldAttributeValues(d.cfg.NameAttribute), func(v string) bool { return d.sameAccount(v, n.Account) }) {
		// The filter matched on something else than the account name (a
		// server's normalisation, an alternative in the filter): a second
		// spelling would get tokens of its own.
		return nil, nil, fmt.Errorf("%w: %s holds no %s equal to the name", ErrNoSuchUser, e.DN, d.cfg.NameAttribute)
	}
	return d.userFrom(e, n, c.server.url), e, nil
}

func (d *Directory) sameAccount(value, account string) bool {
	if d.cfg.CaseSensitive {
		return value == account
	}
	return strings.EqualFold(value, account)
}

func (d *Directory) userFrom(e *ldap.Entry, n Name, server string) *User {
	a := d.cfg.Attributes
	return &User{
		Name:        n,
		DN:          e.DN,
		DisplayName: e.GetEqualFoldAttributeValue(a.DisplayName),
		Mail:        e.GetEqualFoldAttributeValue(a.Mail),
		Mobile:      e.GetEqualFoldAttributeValue(a.Mobile),
		Pager:       e.GetEqualFoldAttributeValue(a.Pager),
		Status:      accountStatus(e, d.cfg.Now()),
		Server:      server,
	}
}
