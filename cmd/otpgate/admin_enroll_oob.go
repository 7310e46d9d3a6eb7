package main

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/daemon"
	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/oob"
)

// checkOOB refuses the options an email or SMS token has no use for.
func (f *enrollFlags) checkOOB() error {
	switch {
	case f.keyFile != "" || f.testKey || f.identifier != "" || f.qr != "":
		return usagef("--type %s takes no key, identifier or QR code: its codes are sent to --address", f.typ)
	}
	return nil
}

// enrollOOB adds an email or SMS token and prints it; it has no secret to
// show.
func enrollOOB(e *env, f *enrollFlags, user string) error {
	if f.address == "" {
		addr, err := directoryAddress(e, f, user)
		if err != nil {
			return err
		}
		f.address = addr
	}
	a, err := openAdminForEnroll(e, f.store)
	if err != nil {
		return err
	}
	defer a.Close()
	out, err := a.EnrollOOB(context.Background(), user, oob.Channel(f.typ), f.address, f.replace)
	if errors.Is(err, admin.ErrHasOOBToken) {
		return withHint(err, "give --replace to replace it, or delete it first with otpgate delete USER --token ID")
	}
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(e, out)
	}
	fmt.Fprintf(e.stdout, "user:       %s\n", out.User)
	fmt.Fprintf(e.stdout, "token:      %s\n", out.TokenID)
	fmt.Fprintf(e.stdout, "type:       %s\n", out.Type)
	for _, id := range out.Replaced {
		fmt.Fprintf(e.stdout, "replaced:   %s\n", id)
	}
	fmt.Fprintf(e.stdout, "address:    %s\n", out.Address)
	return nil
}

// directoryAddress reads where user's codes go from the [ldap] directory,
// for an enroll without --address, before anything is opened or created.
func directoryAddress(e *env, f *enrollFlags, user string) (string, error) {
	const hint = "give --address, or check the user with otpgate directory test USER"
	s, err := f.store.find(e)
	if err != nil {
		return "", err
	}
	d, err := daemon.OpenDirectory(s.Config)
	if err != nil {
		return "", err
	}
	if d == nil {
		return "", withHint(fmt.Errorf("enroll: --type %s without --address takes the address from the [ldap] directory, and the configuration has no [ldap] table", f.typ),
			"give --address, or name otpgate serve's configuration with --config or $OTPGATE_CONFIG")
	}
	defer d.Close()
	u, err := d.Lookup(context.Background(), user)
	if errors.Is(err, directory.ErrNoSuchUser) {
		return "", withHint(fmt.Errorf("enroll: %q is not in the directory, which the address is read from without --address", user), hint)
	}
	if err != nil {
		return "", fmt.Errorf("enroll: read the address from the directory: %w", err)
	}
	addr, err := admin.DirectoryAddress(u, oob.Channel(f.typ), s.Config.OOB.Settings(s.Policy()))
	if errors.Is(err, admin.ErrNoDirectoryAddress) {
		return "", withHint(err, hint)
	}
	return addr, err
}
