package primary

import (
	"context"

	"otpgate.dev/otpgate/internal/directory"
)

// LDAP checks passwords by a simple bind to an LDAP directory or Active
// Directory (package directory): the user's entry is found, refused if the
// account is disabled or its groups do not permit a login, and its
// password bound. Create it with [NewLDAP].
//
// Check returns (false, nil) for every refusal (a name the directory cannot
// hold, an unknown user, a wrong or empty password, a disabled account,
// groups) and an error only when no server could answer. An empty password
// never reaches a bind. LDAP is safe for concurrent use.
type LDAP struct {
	dir *directory.Directory
}

// NewLDAP returns the checker of d.
func NewLDAP(d *directory.Directory) *LDAP { return &LDAP{dir: d} }

// Directory returns the directory the checker binds to.
func (l *LDAP) Directory() *directory.Directory { return l.dir }

// Check binds as user with password.
func (l *LDAP) Check(ctx context.Context, user, password string) (bool, error) {
	_, err := l.dir.Authenticate(ctx, user, password)
	switch {
	case err == nil:
		return true, nil
	case directory.Refused(err):
		return false, nil
	}
	return false, err
}
