package main

import (
	"errors"
	"fmt"
	"io/fs"

	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

const genkeyUsage = `Usage:
    otpgate openvpn genkey PATH

Creates the key that signs otpgate's OpenVPN auth tokens, so that a client
renegotiates without a new code: the file [openvpn] token_key_file names for
otpgate serve, and setenv otpgateAuthTokenKey for the script hooks. PATH gets
32 random bytes in a PEM block, mode 0600, written whole or not at all.

An existing PATH is never overwritten: every token signed with the old key
would stop working. Every otpgate node and OpenVPN server that checks the
same tokens needs the same key: copy the file, keeping it 0600.

Example:
    $ sudo otpgate openvpn genkey /etc/otpgate/authtoken.key
    otpgate: wrote a new auth-token key to /etc/otpgate/authtoken.key
`

func runOpenVPNGenkey(e *env, args []string) error {
	flags := newFlags("openvpn genkey")
	err := parseFlags(flags, args, 1)
	if errors.Is(err, errHelp) {
		fmt.Fprint(e.stdout, genkeyUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("name the key file to create, e.g. otpgate openvpn genkey /etc/otpgate/authtoken.key")
	}
	path := flags.Arg(0)
	_, err = authtoken.WriteKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("openvpn genkey: %s already exists; not overwriting it", path),
			"tokens signed with that key stop working when it changes: remove it first if that is meant, or choose another PATH")
	}
	if err != nil {
		return fmt.Errorf("openvpn genkey: %w", err)
	}
	fmt.Fprintf(e.stderr, "otpgate: wrote a new auth-token key to %s\n", path)
	return nil
}
