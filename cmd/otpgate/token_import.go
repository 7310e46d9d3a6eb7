package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/client"
)

const tokenUsage = `Usage:
    otpgate token import --token-mode rsa --token-secret SPEC --out FILE [options]

Imports an RSA SecurID token into a token file of your own: the token is
decrypted with its password and device ID, and FILE receives it as one v2
CTF line that "otpgate code --token-mode rsa --token-secret @FILE",
"otpgate openvpn client" and stoken (--file FILE, or --token=) read. The
file is no longer bound to a device ID, and is protected by a new password
only if you give one. FILE is created with mode 0600 and never overwritten
without --force. A PIN saved in a stoken rcfile is not carried over.

Options:
    --token-mode rsa      the kind of token (only rsa: other tokens already
                          live in token files)
    --token-secret SPEC   the token: a CTF string, a SecurID URI, a ctfData=
                          v3 token, @FILE of an .sdtid file or a stoken
                          rcfile, or - for standard input (also
                          $OTPGATE_TOKEN_SECRET); without it, ~/.stokenrc
    --password-file FILE  the token's password (also $OTPGATE_RSA_PASSWORD;
                          asked on the terminal)
    --devid ID            the device ID the token is bound to (also
                          $OTPGATE_RSA_DEVID; asked on the terminal)
    --new-password-file FILE  protect FILE with this password (default: none;
                          the file's mode 0600 protects it)
    --out FILE            the token file to write
    --force               replace FILE if it exists

Examples:
    $ otpgate token import --token-mode rsa --token-secret @token.sdtid \
          --password-file pass.txt --out ~/.config/otpgate/vpn.rsa
    $ otpgate code --token-mode rsa --token-secret @~/.config/otpgate/vpn.rsa
    $ stoken tokencode --file ~/.config/otpgate/vpn.rsa
`

func init() {
	register(&command{name: "token", short: "manage your own token files (token import: a SecurID token)", usage: tokenUsage, run: runToken})
}

// importFlags are the options of `otpgate token import`.
type importFlags struct {
	token          codeFlags
	newPwFile, out string
	force          bool
}

func runToken(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("name the action: import")
	}
	switch args[0] {
	case "--help", "-h", "help":
		return errHelp
	case "import":
		return runTokenImport(e, args[1:])
	}
	return usagef("unknown action %q (accepted: import)", args[0])
}

func runTokenImport(e *env, args []string) error {
	f, err := parseImportFlags(args)
	if err != nil {
		return err
	}
	tok, err := f.token.open(e)
	if err != nil {
		return err
	}
	sid, err := tok.SecurID()
	if err != nil {
		return f.token.clientError(err)
	}
	newPw := ""
	if f.newPwFile != "" {
		if newPw, err = client.ReadSecretFile(e.client().Path(f.newPwFile)); err != nil {
			return fmt.Errorf("token import: new password: %w", err)
		}
	}
	data, err := sid.ExportFile(newPw)
	if err != nil {
		return err
	}
	out := e.client().Path(f.out)
	if err := writeTokenFile(out, data, f.force); err != nil {
		return err
	}
	if sid.SavedPIN() != "" {
		e.warnf("the PIN saved with the token is not written to %s; give it with --pin-file or $%s", out, client.EnvRSAPIN)
	}
	fmt.Fprintf(e.stderr, "otpgate: wrote SecurID token %s (%d digits, %v) to %s\n", sid.Serial(), sid.Digits(), sid.Interval(), out)
	return nil
}

func parseImportFlags(args []string) (*importFlags, error) {
	f := &importFlags{}
	fs := newFlags("token import")
	fs.StringVar(&f.token.mode, "token-mode", "", "")
	fs.StringVar(&f.token.secret, "token-secret", "", "")
	fs.StringVar(&f.token.passwordFile, "password-file", "", "")
	fs.StringVar(&f.token.devid, "devid", "", "")
	fs.StringVar(&f.newPwFile, "new-password-file", "", "")
	fs.StringVar(&f.out, "out", "", "")
	fs.BoolVar(&f.force, "force", false, "")
	f.token.pwFlag = "password-file"
	if err := parseFlags(fs, args, 0); err != nil {
		return nil, err
	}
	switch {
	case !strings.EqualFold(f.token.mode, "rsa"):
		return nil, &usageError{msg: fmt.Sprintf("--token-mode must be rsa, not %q", f.token.mode),
			hint: "totp and hotp tokens are already token files: write the spec to a file and use --token-secret @FILE"}
	case f.out == "":
		return nil, usagef("--out FILE is required: the token file to write")
	}
	return f, nil
}

// writeTokenFile writes the new token file, mode 0600: whole or not at
// all, and over an existing file only with force.
func writeTokenFile(path string, data []byte, force bool) error {
	var err error
	if force {
		err = atomicfile.Replace(path, data, nil)
	} else {
		err = atomicfile.Create(path, data)
	}
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("token import: %s already exists", path), "give --force to replace it, or choose another --out")
	}
	if err != nil {
		return fmt.Errorf("token import: %w", err)
	}
	return nil
}
