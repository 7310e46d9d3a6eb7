package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"otpgate.dev/otpgate/internal/admin"
)

const importUsage = `Usage:
    otpgate import --format FORMAT [options] FILE|-

Imports tokens from another OTP system, all or nothing: every record is
checked first, and if one cannot be imported none is.

Formats:
    users-file            pam_oath / ocserv users file (HOTP/T30/6 user - hexsecret ...)
    google-authenticator  a ~/.google_authenticator file (give --user); its
                          scratch codes become the user's recovery codes
    yubico-csv            YubiKey personalization log (Yubico OTP and OATH-HOTP rows)
    pickle                the older OpenVPN TOTP script's database (read as data, never run)
    otpauth               otpauth:// URIs, one per line
    pskc                  RFC 6030 PSKC, plain or encrypted

Options:
    --db PATH                  the store (default: the configuration's, else the
                               data directory's)
    --config FILE              otpgate serve's configuration, for its db and
                               key_file (default: $OTPGATE_CONFIG, else
                               /etc/otpgate/otpgate.toml when it exists)
    --user NAME                user for records the file does not name
    --issuer NAME              issuer of the tokens the file gives none, kept
                               with them (default "otpgate")
    --dry-run                  check and show what would be imported, store nothing
    --pskc-key-file FILE       hex pre-shared key of an encrypted PSKC file
    --pskc-password-file FILE  password of an encrypted PSKC file

Example:
    $ otpgate import --format users-file /etc/users.oath
    imported 3 tokens
`

func init() {
	register(&command{name: "import", short: "import tokens from pam_oath, google-authenticator, Yubico, PSKC, ...", usage: importUsage, run: runImport})
}

func runImport(e *env, args []string) error {
	fs := newFlags("import")
	var cf codeFlags
	sf := addStoreFlags(fs)
	format := fs.String("format", "", "")
	user := fs.String("user", "", "")
	issuer := fs.String("issuer", "otpgate", "")
	dry := fs.Bool("dry-run", false, "")
	fs.StringVar(&cf.pskcKeyFile, "pskc-key-file", "", "")
	fs.StringVar(&cf.pskcPwFile, "pskc-password-file", "", "")
	pos, err := parseArgs(fs, args, 1, 1, "the file to import (or - for standard input)")
	if err != nil {
		return err
	}
	if *format == "" {
		return usagef("give --format (accepted: %v)", admin.Formats)
	}
	data, err := readImport(e, pos[0])
	if err != nil {
		return err
	}
	recs, err := admin.ParseImport(*format, data, cf.unlocker(e))
	if err != nil {
		return err
	}
	for _, r := range recs {
		for _, w := range r.Warnings {
			e.warnf("record %d: %s", r.Line, w)
		}
	}
	a, err := openAdminForEnroll(e, sf)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	plan, err := a.PlanImport(ctx, recs, *user, *issuer)
	if err != nil {
		return err
	}
	for _, p := range plan {
		fmt.Fprintf(e.stdout, "%s\t%s\n", p.User, p.Type)
	}
	if *dry {
		fmt.Fprintf(e.stderr, "dry run: %d tokens would be imported\n", len(plan))
		return nil
	}
	if err := a.Import(ctx, plan, importProgress(e)); err != nil {
		return err
	}
	codes := 0
	for _, p := range plan {
		codes += p.Recovery()
	}
	if codes > 0 {
		fmt.Fprintf(e.stderr, "imported %d tokens and %d recovery codes\n", len(plan), codes)
		return nil
	}
	fmt.Fprintf(e.stderr, "imported %d tokens\n", len(plan))
	return nil
}

func readImport(e *env, name string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	const max = 256 << 20
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("the import file is larger than %d MiB", max>>20)
	}
	return data, nil
}

func importProgress(e *env) func(int, int) {
	if !e.stderrTerminal {
		return nil
	}
	return func(done, total int) {
		if done%1000 == 0 || done == total {
			fmt.Fprintf(e.stderr, "\rimported %d/%d", done, total)
			if done == total {
				fmt.Fprintln(e.stderr)
			}
		}
	}
}
