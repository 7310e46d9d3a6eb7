package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/pskc"
)

const exportUsage = `Usage:
    otpgate export --format FORMAT --out FILE|- [options]

Exports tokens with their secrets, so that another OTP server (pam_oath,
ocserv, a PSKC-reading token manager) or otpgate on another machine can take
them over. Every exported token is recorded in the audit trail.

Formats:
    users-file  pam_oath / ocserv users file (HOTP/T30/6 user - hexsecret ...).
                Secrets are in plain text, as pam_oath reads them: keep the
                file 0600 and owned by root, as otpgate creates it.
    pskc        RFC 6030 PSKC, encrypted with AES-128-CBC and an HMAC-SHA1
                MAC under --key-file (a pre-shared key) or under a key
                derived with PBKDF2 from --password-file.
    otpauth     otpauth:// Key URIs, one per line (secrets in plain text).

HOTP tokens are written with the next counter to use, so that the new system
never accepts a code otpgate already accepted. Yubico OTP and prefixed HOTP
tokens, disabled tokens, and what pam_oath cannot compute (SHA-256/512, more
than 8 digits, TOTP periods other than 30 or 60 s) stop the export; with
--skip-unsupported they are left out and listed on standard error.

Options:
    --out FILE              where to write; required. The file is created
                            0600 and never overwritten without --force. "-" is
                            standard output, only when it is not a terminal
    --force                 replace FILE if it exists
    --user NAME             export only NAME's tokens; repeat for more users
                            (default: every user)
    --skip-unsupported      leave out the tokens the format cannot carry
    --key-file FILE         PSKC: a 128-bit pre-shared key in hex
    --password-file FILE    PSKC: a password to derive the key from (PBKDF2);
                            both files must be readable by their owner alone
    --insecure-plaintext    PSKC: write the secrets unencrypted
    --issuer NAME           issuer in PSKC and otpauth URIs of the tokens
                            stored without one (default "otpgate"); every
                            other token carries its own
    --db PATH               the store (default: the configuration's, else the
                            data directory's)
    --config FILE           otpgate serve's configuration, for its db and key_file
                            (default: $OTPGATE_CONFIG, else
                            /etc/otpgate/otpgate.toml when it exists)

Examples:
    $ otpgate export --format users-file --out /etc/users.oath
    exported 3 tokens to /etc/users.oath
    $ (umask 077; openssl rand -hex 16 > psk.hex)
    $ otpgate export --format pskc --key-file psk.hex --user alice --out alice.pskc
    exported 1 token to alice.pskc
`

func init() {
	register(&command{name: "export", short: "export tokens to a pam_oath users file, PSKC or otpauth URIs", usage: exportUsage, run: runExport})
}

// userList is a repeatable --user flag.
type userList []string

func (u *userList) String() string { return strings.Join(*u, ",") }
func (u *userList) Set(v string) error {
	if v == "" {
		return errors.New("empty user name")
	}
	*u = append(*u, v)
	return nil
}

// exportFlags are export's options.
type exportFlags struct {
	format, out, keyFile, pwFile, issuer string
	store                                *storeFlags
	users                                userList
	force, skip, plaintext               bool
}

func runExport(e *env, args []string) error {
	f, err := parseExportFlags(args)
	if err != nil {
		return err
	}
	if err := checkExportFlags(e, f); err != nil {
		return err
	}
	enc, err := pskcEncryption(f)
	if err != nil {
		return err
	}
	defer clear(enc.Key)
	defer clear(enc.Password)
	a, err := openAdmin(e, f.store)
	if err != nil {
		return err
	}
	defer a.Close()
	opts := admin.ExportOptions{Format: f.format, Users: f.users, SkipUnsupported: f.skip, PSKC: enc, Issuer: f.issuer, Dest: auditDest(f.out)}
	x, err := a.Export(context.Background(), opts)
	if err != nil {
		return exportHint(err)
	}
	defer x.Clear()
	for _, s := range x.Skipped {
		e.warnf("left out token %s of user %q: %s", s.TokenID, s.User, s.Reason)
	}
	if err := publish(e, f, func() error { return a.RecordExport(context.Background(), x) }, x.Data); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %d %s to %s\n", len(x.Tokens), tokensWord(len(x.Tokens)), exportDest(f.out))
	return nil
}

func parseExportFlags(args []string) (*exportFlags, error) {
	fs := newFlags("export")
	f := &exportFlags{}
	f.store = addStoreFlags(fs)
	fs.StringVar(&f.format, "format", "", "")
	fs.StringVar(&f.out, "out", "", "")
	fs.StringVar(&f.out, "o", "", "")
	fs.Var(&f.users, "user", "")
	fs.BoolVar(&f.force, "force", false, "")
	fs.BoolVar(&f.skip, "skip-unsupported", false, "")
	fs.StringVar(&f.keyFile, "key-file", "", "")
	fs.StringVar(&f.keyFile, "pskc-key-file", "", "")
	fs.StringVar(&f.pwFile, "password-file", "", "")
	fs.StringVar(&f.pwFile, "pskc-password-file", "", "")
	fs.BoolVar(&f.plaintext, "insecure-plaintext", false, "")
	fs.StringVar(&f.issuer, "issuer", "otpgate", "")
	if err := parseFlags(fs, args, 0); err != nil {
		return nil, err
	}
	return f, nil
}

// checkExportFlags refuses every bad invocation before the store is opened
// or a secret read.
func checkExportFlags(e *env, f *exportFlags) error {
	switch {
	case f.format == "":
		return usagef("give --format (accepted: %s)", strings.Join(admin.ExportFormats, ", "))
	case !slices.Contains(admin.ExportFormats, f.format):
		return usagef("unknown export format %q (accepted: %s)", f.format, strings.Join(admin.ExportFormats, ", "))
	case f.out == "":
		return &usageError{msg: "give --out FILE: an export holds every secret and is never written to a terminal by default",
			hint: "--out - writes to standard output when it is a pipe or a file"}
	case f.out == "-" && e.stdoutTerminal:
		return &usageError{msg: "refusing to write secrets to the terminal", hint: "give --out FILE, or pipe standard output"}
	case f.out == "-" && f.force:
		return usagef("--force applies to --out FILE, not to standard output")
	}
	if f.out != "-" {
		if _, err := os.Lstat(f.out); err == nil && !f.force {
			return withHint(fmt.Errorf("%s exists; not overwriting it", f.out), "give --force to replace it, or another --out")
		}
	}
	return checkPSKCFlags(f)
}

func checkPSKCFlags(f *exportFlags) error {
	n := 0
	for _, set := range []bool{f.keyFile != "", f.pwFile != "", f.plaintext} {
		if set {
			n++
		}
	}
	switch {
	case f.format != "pskc" && n > 0:
		return usagef("--key-file, --password-file and --insecure-plaintext apply to --format pskc only")
	case f.format == "pskc" && n == 0:
		return &usageError{msg: "an exported PSKC file is encrypted: give --key-file or --password-file",
			hint: "--insecure-plaintext writes the secrets unencrypted, for a file that never leaves this machine"}
	case n > 1:
		return usagef("give one of --key-file, --password-file and --insecure-plaintext")
	}
	return nil
}

// pskcEncryption reads the PSKC key or password named by the flags.
func pskcEncryption(f *exportFlags) (pskc.EncodeOptions, error) {
	var opts pskc.EncodeOptions
	switch {
	case f.keyFile != "":
		key, err := client.ReadHexKeyFile(f.keyFile)
		if err != nil {
			return opts, err
		}
		if len(key) != 16 {
			clear(key)
			return opts, fmt.Errorf("%s holds a key of %d bytes; PSKC's AES-128-CBC takes 16 (32 hex digits)", f.keyFile, len(key))
		}
		opts.Key = key
	case f.pwFile != "":
		pw, err := client.ReadSecretFile(f.pwFile)
		if err != nil {
			return opts, err
		}
		if pw == "" {
			return opts, fmt.Errorf("%s is empty; it should hold the PSKC password", f.pwFile)
		}
		opts.Password = []byte(pw)
	}
	return opts, nil
}

// exportHint adds a hint to the export errors a user can fix.
func exportHint(err error) error {
	if errors.Is(err, admin.ErrUnsupported) {
		return withHint(err, "give --skip-unsupported to export the other tokens and list this one")
	}
	return adminHint(err)
}

func exportDest(out string) string {
	if out == "-" {
		return "standard output"
	}
	return out
}

// auditDest names --out for the audit trail, as an absolute path.
func auditDest(out string) string {
	if abs, err := filepath.Abs(out); err == nil && out != "-" {
		return abs
	}
	return exportDest(out)
}

func tokensWord(n int) string {
	if n == 1 {
		return "token"
	}
	return "tokens"
}

// publish writes data to --out after record succeeds. A file is written to
// a temporary file (0600) beside it, synced, audited, then linked into
// place (O_EXCL semantics: an existing file stays) or, with --force,
// renamed over it; on any failure nothing is left behind.
func publish(e *env, f *exportFlags, record func() error, data []byte) error {
	if f.out == "-" {
		if err := record(); err != nil {
			return err
		}
		_, err := e.stdout.Write(data)
		return err
	}
	tmp, err := atomicfile.Prepare(f.out, data, nil)
	if err != nil {
		return err
	}
	defer tmp.Discard()
	if err := record(); err != nil {
		return err
	}
	if f.force {
		return tmp.Rename()
	}
	err = tmp.Link()
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("%s exists; not overwriting it", f.out), "give --force to replace it, or another --out")
	}
	return err
}
