package directory

import (
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// userFilter puts account into every "%s" of template, escaped per RFC
// 4515 section 3: "*", "(", ")", "\", NUL and every byte over 0x7f become
// "\XX", so the name can only ever be an assertion value.
func userFilter(template, account string) string {
	return strings.ReplaceAll(template, "%s", ldap.EscapeFilter(account))
}

// presenceFilter turns the user filter into one that matches every user:
// "(uid=%s)" becomes "(uid=*)", a presence filter.
func presenceFilter(template string) string {
	return strings.ReplaceAll(template, "%s", "*")
}

// templateIsDN reports whether a bind template is a DN: it has an
// attribute type before "=". "%s@example.org" and "EXAMPLE\%s" are not.
func templateIsDN(template string) bool {
	return strings.Contains(template, "=")
}

// bindName puts account into a bind template: escaped per RFC 4514 section
// 2.4 (the characters `"+,;<>\`, a leading '#' or space, a trailing space,
// NUL) when the template is a DN, as is otherwise (a user principal name or
// a down-level name, whose account part mapName has already checked).
func bindName(template, account string) string {
	if templateIsDN(template) {
		account = ldap.EscapeDN(account)
	}
	return strings.Replace(template, "%s", account, 1)
}
