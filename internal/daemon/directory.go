package daemon

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/primary"
)

// OpenDirectory opens the directory of c's [ldap] table, reading its
// bind_password_file; nil, nil when there is no [ldap]. It does not
// connect: readiness and the first login do. The admin commands and the
// OpenVPN hooks open it the same way.
func OpenDirectory(c *config.Config) (*directory.Directory, error) {
	l := &c.LDAP
	if !l.Configured() {
		return nil, nil
	}
	password := ""
	if l.BindPasswordFile != "" {
		b, err := readSecretFile("ldap.bind_password_file", l.BindPasswordFile)
		if err != nil {
			return nil, err
		}
		password = string(b)
		clear(b)
	}
	d, err := directory.New(l.Directory(password))
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	return d, nil
}

// Primary returns the password check spec names (auth.primary, or the
// hooks' otpgatePrimary): "ldap" binds to dir, which must be open.
func Primary(spec string, dir *directory.Directory) (primary.Checker, error) {
	s, err := primary.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	if s.Kind != primary.KindLDAP {
		return primary.Parse(spec)
	}
	if dir == nil {
		return nil, errors.New(`primary "ldap" needs an [ldap] table in the configuration file (see docs/directory.md)`)
	}
	return primary.NewLDAP(dir), nil
}

// pingDirectory is the directory's part of readiness: nil without one.
func (d *Daemon) pingDirectory(ctx context.Context) error {
	dir := d.dir.Load()
	if dir == nil {
		return nil
	}
	return dir.Ping(ctx)
}
