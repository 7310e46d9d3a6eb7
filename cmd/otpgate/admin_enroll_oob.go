package main

import (
	"context"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/oob"
)

// checkOOB refuses the options an email or SMS token has no use for.
func (f *enrollFlags) checkOOB() error {
	switch {
	case f.address == "":
		return usagef("--type %s needs --address (the mail address or phone number its codes go to)", f.typ)
	case f.keyFile != "" || f.testKey || f.identifier != "" || f.qr != "":
		return usagef("--type %s takes no key, identifier or QR code: its codes are sent to --address", f.typ)
	}
	return nil
}

// enrollOOB adds an email or SMS token and prints it; it has no secret to
// show.
func enrollOOB(e *env, f *enrollFlags, user string) error {
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
