package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

const enrollUsage = `Usage:
    otpgate enroll USER [options]
    otpgate enroll --group GROUP --out DIR [--dry-run] [--uri] [options]

Creates a token for USER (and the user, if new) with a random key, or the key
of --key-file, sealed under the master key beside the database. Prints the
user, the token ID, the secret in base32 and the otpauth:// URI that
authenticator apps scan, and the URI as a QR code when standard output is a
terminal. The secret is shown only now. When the configuration has an
[ldap] table, USER is stored under its canonical name ("EXAMPLE\alice" and
"alice@example.org" as alice, by default).

Options:
    --db PATH            the database (default: the configuration's, else
                         $OTPGATE_DB, else the data directory's)
    --config FILE        otpgate serve's configuration, for its db and key_file
                         (default: $OTPGATE_CONFIG, else /etc/otpgate/otpgate.toml
                         when it exists)
    --type TYPE          totp (default), hotp, hotp-prefixed, yubico, or email
                         or sms: codes sent by [oob] in otpgate.toml
    --address ADDR       email: the mail address; sms: a phone number
                         (+15551234567) or an email-to-SMS alias
                         (5551234567@sms.example.net). Default: the [ldap]
                         directory's mail attribute for email; for sms its
                         mobile, else its pager attribute (the first that
                         [oob] has a gateway for)
    --digits N           6 (default) or 8
    --algorithm ALG      SHA1 (default), SHA256 or SHA512
    --period SECONDS     TOTP time step (default 30)
    --counter N          first HOTP counter (default 0)
    --identifier ID      prefixed HOTP token identifier (required for
                         hotp-prefixed) or Yubico OTP public ID (modhex)
    --key-file FILE      the key in hex, base32 or base64 (prefix hex:,
                         base32: or base64: when ambiguous); Yubico: AES key
    --rfc4226-test-key   use the RFC 4226 test key "12345678901234567890"
    --issuer NAME        issuer in the URI, kept with the token for its exports
                         (default $OTPGATE_ISSUER, else $totpIssuerName as
                         the OpenVPN TOTP script reads it, else otpgate)
    --comment TEXT       a note kept with the token
    --qr FILE            also write the QR code to a new FILE.png or FILE.svg
    --replace            USER has a token of this kind already: replace it
                         with the new one, in one transaction (a lost phone
                         stops working); without it enroll refuses. A user
                         holds one app or hardware token and one email or
                         sms token: enrolling one kind leaves the other
    --json               print the new token as JSON (no terminal QR code)

With --group, enrolls every member of GROUP (a cn or a DN) in the [ldap]
directory of the configuration, nested groups included, who has no token
yet and whose account may log in: one token each, under the canonical name,
with the --type, --digits, --algorithm, --period, --counter, --issuer and
--comment given. Each user's QR code goes to DIR/NAME.png (with --uri, the
otpauth:// URI to DIR/NAME.uri instead), DIR being created mode 0700; a
file is never overwritten. Progress goes to standard error; standard output
lists, one a line, each user enrolled with their token ID and file.
--dry-run lists who would be enrolled and touches nothing.

    --group GROUP        the directory group
    --out DIR            where the QR codes or URIs go
    --dry-run            only list the users who would be enrolled
    --uri                write otpauth:// URIs instead of QR PNGs

Examples:
    $ otpgate enroll alice
    $ otpgate enroll bob --type hotp --digits 8 --qr bob.png
    $ otpgate enroll carol --type hotp-prefixed --identifier UBHE12345678 --key-file carol.key
    $ otpgate enroll alice --replace        # alice lost her phone
    $ otpgate enroll dave --type email --address dave@example.org
    $ otpgate enroll alice --type email     # to alice's mail in [ldap]
    $ otpgate enroll erin --type sms --address 5551234567@sms.example.net
    $ otpgate enroll --group vpn --dry-run
    $ otpgate enroll --group vpn --out /root/vpn-qr
`

func init() {
	register(&command{name: "enroll", short: "create a token for a user and print its secret and QR code", usage: enrollUsage, run: runEnroll})
}

type enrollFlags struct {
	typ, algorithm, issuer, identifier, keyFile, comment, qr, address string
	store                                                             *storeFlags
	digits, period                                                    int
	counter                                                           int64
	testKey, replace, json                                            bool
	// --group enrolls the members of a directory group (admin_enroll_group.go).
	group, out       string
	dryRun, uriFiles bool
}

func runEnroll(e *env, args []string) error {
	f, user, err := parseEnroll(e, args)
	if err != nil {
		return err
	}
	if f.group != "" {
		return runEnrollGroup(e, &f)
	}
	if user, err = canonicalUser(e, f.store, user); err != nil {
		return err
	}
	if store.TokenType(f.typ).OutOfBand() {
		return enrollOOB(e, &f, user)
	}
	spec, err := f.spec(user)
	if err != nil {
		return err
	}
	en, err := admin.Prepare(spec, f.issuer)
	if err != nil {
		clear(spec.Secret)
		return err
	}
	defer en.Clear()
	return enrollAndShow(e, &f, en)
}

func parseEnroll(e *env, args []string) (enrollFlags, string, error) {
	var f enrollFlags
	fs := newFlags("enroll")
	f.store = addStoreFlags(fs)
	fs.StringVar(&f.typ, "type", string(store.TOTP), "")
	fs.IntVar(&f.digits, "digits", otp.DefaultDigits, "")
	fs.StringVar(&f.algorithm, "algorithm", "SHA1", "")
	fs.IntVar(&f.period, "period", int(otp.DefaultPeriod.Seconds()), "")
	fs.Int64Var(&f.counter, "counter", 0, "")
	fs.StringVar(&f.identifier, "identifier", "", "")
	fs.StringVar(&f.keyFile, "key-file", "", "")
	fs.BoolVar(&f.testKey, "rfc4226-test-key", false, "")
	fs.StringVar(&f.issuer, "issuer", "", "")
	fs.StringVar(&f.comment, "comment", "", "")
	fs.StringVar(&f.qr, "qr", "", "")
	fs.BoolVar(&f.replace, "replace", false, "")
	fs.BoolVar(&f.json, "json", false, "")
	fs.StringVar(&f.address, "address", "", "")
	fs.StringVar(&f.group, "group", "", "")
	fs.BoolVar(&f.dryRun, "dry-run", false, "")
	fs.StringVar(&f.out, "out", "", "")
	fs.BoolVar(&f.uriFiles, "uri", false, "")
	pos, err := parseArgs(fs, args, 0, 1, "USER")
	if err != nil {
		return f, "", err
	}
	if err := f.checkGroup(len(pos)); err != nil {
		return f, "", err
	}
	user := ""
	if len(pos) == 1 {
		user = pos[0]
	}
	if f.issuer == "" {
		f.issuer = e.siteEnv().Issuer()
	}
	return f, user, f.check()
}

func (f *enrollFlags) check() error {
	switch t := store.TokenType(f.typ); {
	case t.OutOfBand():
		return f.checkOOB()
	case f.address != "":
		return usagef("--address is for --type email or sms")
	case t == store.TOTP, t == store.HOTP, t == store.HOTPPrefixed, t == store.Yubico:
	default:
		return usagef("unknown --type %q (accepted: totp, hotp, hotp-prefixed, yubico, email, sms)", f.typ)
	}
	if f.digits != 6 && f.digits != 8 {
		return usagef("--digits must be 6 or 8, not %d", f.digits)
	}
	if f.period <= 0 {
		return usagef("--period must be a positive number of seconds, not %d", f.period)
	}
	if f.counter < 0 || f.counter > enroll.MaxCounter {
		return usagef("--counter must be from 0 to %d", int64(enroll.MaxCounter))
	}
	if f.testKey && f.keyFile != "" {
		return usagef("give --key-file or --rfc4226-test-key, not both")
	}
	if f.testKey && f.typ == string(store.Yubico) {
		return usagef("--rfc4226-test-key is an OATH key; a yubico token takes --key-file")
	}
	if f.qr != "" && f.typ == string(store.Yubico) {
		return usagef("--qr: Yubico OTP tokens have no otpauth URI to draw")
	}
	return nil
}

// spec turns the flags into an enroll.Spec, reading the key file.
func (f *enrollFlags) spec(user string) (enroll.Spec, error) {
	alg, err := otp.ParseAlgorithm(f.algorithm)
	if err != nil {
		return enroll.Spec{}, usagef("unknown --algorithm %q (accepted: SHA1, SHA256, SHA512)", f.algorithm)
	}
	s := enroll.Spec{
		User: user, Type: store.TokenType(f.typ), Comment: f.comment,
		Counter: f.counter, Identifier: f.identifier,
	}
	if s.Type != store.Yubico {
		s.Params = otp.DefaultParams()
		s.Params.Algorithm, s.Params.Digits = alg, f.digits
		s.Params.Period = time.Duration(f.period) * time.Second
	}
	switch {
	case f.testKey:
		s.Secret = []byte(admin.RFC4226TestKey)
	case f.keyFile != "":
		if s.Secret, err = admin.ReadKeyFile(f.keyFile); err != nil {
			return s, err
		}
	}
	return s, nil
}

// enrollAndShow writes the QR file, stores the token and prints it. The QR
// file comes first, so that a name already taken stops everything before the
// token exists; it is removed again if storing fails.
func enrollAndShow(e *env, f *enrollFlags, en *admin.Enrollment) error {
	if f.qr != "" {
		if err := admin.WriteQR(f.qr, en.URI); err != nil {
			return err
		}
	}
	out, err := enrollStore(e, f, en)
	if err != nil {
		if f.qr != "" {
			os.Remove(f.qr)
		}
		return err
	}
	if f.json {
		return printJSON(e, out)
	}
	printEnrolled(e, &out)
	if e.stdoutTerminal && out.URI != "" {
		qr, err := admin.QRTerminal(out.URI)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stdout, qr)
	}
	return nil
}

func enrollStore(e *env, f *enrollFlags, en *admin.Enrollment) (admin.Enrolled, error) {
	a, err := openAdminForEnroll(e, f.store)
	if err != nil {
		return admin.Enrolled{}, err
	}
	defer a.Close()
	out, err := a.Enroll(context.Background(), en, f.replace)
	if errors.Is(err, admin.ErrHasTokens) {
		return out, withHint(err, "give --replace to replace them (the old ones stop working), or delete one first with otpgate delete USER --token ID")
	}
	return out, err
}

func printEnrolled(e *env, out *admin.Enrolled) {
	fmt.Fprintf(e.stdout, "user:       %s\n", out.User)
	fmt.Fprintf(e.stdout, "token:      %s\n", out.TokenID)
	fmt.Fprintf(e.stdout, "type:       %s\n", out.Type)
	for _, id := range out.Replaced {
		fmt.Fprintf(e.stdout, "replaced:   %s\n", id)
	}
	if out.Identifier != "" {
		fmt.Fprintf(e.stdout, "identifier: %s\n", out.Identifier)
	}
	if out.Type == store.Yubico {
		fmt.Fprintf(e.stdout, "aes key:    %s\n", out.Secret)
		fmt.Fprintf(e.stdout, "private id: %s\n", out.PrivateID)
		return
	}
	fmt.Fprintf(e.stdout, "secret:     %s\n", out.Secret)
	fmt.Fprintf(e.stdout, "uri:        %s\n", out.URI)
}
