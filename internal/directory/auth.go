package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// Authenticate checks password for the name as given and returns the user.
// It fails with a refusal ([Refused]) for a name the directory cannot hold,
// an unknown user, a wrong or empty password, a disabled account or groups
// that do not permit a login, and with another error when no server could
// answer. The user is returned with a refusal when the entry was found, for
// the audit trail. Neither error ever holds the password.
//
// Without a bind template the entry is searched for as the service account
// and refused on its state and groups before its password is tried; with
// one, the user binds first and the entry is read afterwards.
func (d *Directory) Authenticate(ctx context.Context, given, password string) (*User, error) {
	n, err := d.cfg.mapName(given)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	var u *User
	err = d.run(ctx, func(c *conn) error {
		var err error
		if d.cfg.BindTemplate != "" {
			u, err = d.bindThenRead(ctx, c, n, password)
		} else {
			u, err = d.searchThenBind(ctx, c, n, password)
		}
		return err
	})
	return u, err
}

// checkPassword refuses, before any bind, an empty password (an
// unauthenticated bind, RFC 4513 section 5.1.2, which most servers accept),
// an oversized one, and one holding NUL (cut short by C servers).
func checkPassword(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty (an unauthenticated bind, RFC 4513 5.1.2, is never tried)", ErrBadPassword)
	case len(p) > MaxPasswordLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrBadPassword, MaxPasswordLen)
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("%w: holds NUL", ErrBadPassword)
	}
	return nil
}

func (d *Directory) searchThenBind(ctx context.Context, c *conn, n Name, password string) (*User, error) {
	u, err := d.resolve(ctx, c, n, false)
	if err != nil {
		return nil, err
	}
	if err := d.Permit(u); err != nil {
		return u, err
	}
	return u, d.bindUser(ctx, c, u.DN, password)
}

func (d *Directory) bindThenRead(ctx context.Context, c *conn, n Name, password string) (*User, error) {
	if err := d.bindUser(ctx, c, bindName(d.cfg.BindTemplate, n.Account), password); err != nil {
		return nil, err
	}
	u, err := d.resolve(ctx, c, n, d.cfg.BindDN == "")
	if err != nil {
		return nil, err
	}
	return u, d.Permit(u)
}

// Lookup resolves a name as given to its entry, groups and state without a
// password, as the service account (anonymously when there is none). It
// does not apply [Directory.Permit].
func (d *Directory) Lookup(ctx context.Context, given string) (*User, error) {
	n, err := d.cfg.mapName(given)
	if err != nil {
		return nil, err
	}
	var u *User
	err = d.run(ctx, func(c *conn) error {
		var err error
		u, err = d.resolve(ctx, c, n, false)
		return err
	})
	return u, err
}

// resolve returns n's user from the cache or from a search as the service
// account (as whoever c is bound as, if asSelf).
func (d *Directory) resolve(ctx context.Context, c *conn, n Name, asSelf bool) (*User, error) {
	if u := d.cache.get(n); u != nil {
		return u, nil
	}
	if !asSelf {
		if err := d.bindService(ctx, c); err != nil {
			return nil, err
		}
	}
	u, e, err := d.searchUser(ctx, c, n)
	if err != nil {
		return nil, err
	}
	if u.Groups, err = d.groups(ctx, c, u, e); err != nil {
		return nil, err
	}
	d.cache.put(u)
	return u, nil
}

// bindService makes c the service account's (or anonymous) again after a
// user's bind.
func (d *Directory) bindService(ctx context.Context, c *conn) error {
	if c.service {
		return nil
	}
	err := c.do(ctx, d.cfg.BindTimeout, func() error {
		if d.cfg.BindDN == "" {
			return c.l.UnauthenticatedBind("")
		}
		return c.l.Bind(d.cfg.BindDN, d.cfg.BindPassword)
	})
	if err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			// Not a refusal of the user: the service account is wrong.
			return fmt.Errorf("directory: the service account %s was refused at %s: check bind_dn and bind_password_file", d.cfg.BindDN, c.server.url)
		}
		return fmt.Errorf("directory: service bind at %s: %w", c.server.url, err)
	}
	c.service = true
	return nil
}

// bindUser checks a password by a simple bind as name. The connection is
// no longer the service account's afterwards, whatever the outcome.
func (d *Directory) bindUser(ctx context.Context, c *conn, name, password string) error {
	c.service = false
	err := c.do(ctx, d.cfg.BindTimeout, func() error { return c.l.Bind(name, password) })
	var le *ldap.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le) && le.ResultCode == ldap.LDAPResultInvalidCredentials:
		return fmt.Errorf("%w (%s)", ErrBadPassword, diagnostic(le))
	}
	return fmt.Errorf("directory: bind at %s: %w", c.server.url, err)
}

// diagnostic is a server's message for a refused bind, shortened: Active
// Directory's names the reason ("data 52e" wrong password, "data 533"
// disabled, "data 775" locked out).
func diagnostic(le *ldap.Error) string {
	msg := "invalid credentials"
	if le.Err != nil && le.Err.Error() != "" {
		msg = le.Err.Error()
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, msg)
}

// Ping checks that a server answers a search of the base DN as the service
// account: whether logins can work, for a daemon's readiness.
func (d *Directory) Ping(ctx context.Context) error {
	return d.run(ctx, func(c *conn) error {
		if err := d.bindService(ctx, c); err != nil {
			return err
		}
		_, err := d.search(ctx, c, d.cfg.BaseDN, ldap.ScopeBaseObject, "(objectClass=*)", 1, noAttributes)
		return err
	})
}
