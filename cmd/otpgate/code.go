package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/securid"
	"otpgate.dev/otpgate/internal/ykoath"
)

const codeUsage = `Usage:
    otpgate code --token-mode MODE --token-secret SPEC [options]

Prints the one-time code for a token, as OpenConnect's --token-mode and
--token-secret would send it. For HOTP tokens kept in a file (@FILE), the
advanced counter is saved back to the file, in the form it was given, before
the code is printed.

Options:
    --token-mode MODE     totp or hotp (optional for otpauth URIs and PSKC),
                          rsa (RSA SecurID, as stoken) or yubioath (YubiKey)
    --token-secret SPEC   the token; SPEC is one of
                            SECRET            raw text used as the key
                            0xHEX             hex key
                            base32:B32        base32 key (padding optional)
                            sha256:SPEC       also sha1: and sha512:
                            SPEC,COUNTER      HOTP counter (decimal, 0x, 0-octal)
                            otpauth://...     Key URI from a QR code
                            @FILE, /PATH      read SPEC from a file (PSKC too)
                            -                 read SPEC from standard input
                          Without it, SPEC comes from $OTPGATE_TOKEN_SECRET.
    --time TIME           generate for TIME: Unix seconds or RFC 3339
    --counter N           generate HOTP code N without saving anything
    --next                the code of the next TOTP period
    --window N            also print the N codes after the first
    --digits N            code length, 6 to 10 (default: the token's, or 6)
    --period SECONDS      TOTP time step (default: the token's, or 30)
    --key-id ID           the PSKC KeyPackage to use, by key Id or serial
    --pskc-key-file FILE  hex pre-shared key of an encrypted PSKC file
                          (also $OTPGATE_PSKC_KEY)
    --pskc-password-file FILE  password of an encrypted PSKC file (also
                          $OTPGATE_PSKC_PASSWORD; asked on the terminal)
    --json                print the codes and their validity as JSON

Every FILE may start with ~/ or ~user/, also after @. A file holding a token,
password, PIN or key is refused when group or others may read or write it
(fix it with chmod 600 FILE). A token file reached through a symbolic link is
the file the link points to.

RSA SecurID (--token-mode rsa): SPEC is a CTF string, a SecurID URI, a
ctfData= v3 token, @FILE of an .sdtid file or a stoken rcfile; without it,
~/.stokenrc. The PIN saved in the rcfile is used; otherwise it is read from
--pin-file, $OTPGATE_RSA_PIN or the terminal, and put in front of the code
unless the token mixes it in.
    --password-file FILE  the token's password (also $OTPGATE_RSA_PASSWORD;
                          asked on the terminal)
    --devid ID            the device ID the token is bound to (also
                          $OTPGATE_RSA_DEVID; asked on the terminal)
    --pin-file FILE       the SecurID PIN (also $OTPGATE_RSA_PIN)

YubiKey (--token-mode yubioath): SPEC names the credential on the first
YubiKey found over PC/SC (ID, issuer:name or period/issuer:name as ykman
shows them; the first credential without it). A password-protected applet is
unlocked with $OTPGATE_YUBIKEY_PASSWORD or a password asked on the terminal.

Examples:
    $ otpgate code --token-mode totp --token-secret @~/.config/vpn.totp
    492039
    $ otpgate code --token-mode hotp --token-secret @vpn.hotp --window 2
    755224
    287082
    359152
    $ echo 'otpauth://totp/VPN:alice?secret=JBSWY3DPEHPK3PXP' | otpgate code --token-secret -
    $ otpgate code --token-mode rsa --token-secret @token.sdtid --pin-file ~/.rsapin
    $ otpgate code --token-mode yubioath --token-secret VPN:alice
`

func init() {
	register(&command{name: "code", short: "print the one-time code for a token (OpenConnect --token-mode)", usage: codeUsage, run: runCode})
}

// openOATHCard connects to the YubiKey for --token-mode yubioath; nil
// opens the first PC/SC reader with the OATH applet. Tests replace it with
// the simulator.
var openOATHCard func() (client.Card, error)

// codeFlags are the flags that name a token and unlock it, shared by
// `otpgate code`, `otpgate openvpn client` and `otpgate token import`, and
// those of `otpgate code` that say which codes.
type codeFlags struct {
	mode, secret, keyID     string
	digits, period          int
	pskcKeyFile, pskcPwFile string
	passwordFile, pinFile   string // --token-mode rsa
	pwFlag                  string // the flag that sets passwordFile
	devid                   string
	at, counter             string
	next, json              bool
	window                  int
}

func runCode(e *env, args []string) error {
	var f codeFlags
	fs := newFlags("code")
	f.addTokenFlags(fs, "password-file")
	fs.StringVar(&f.at, "time", "", "")
	fs.StringVar(&f.counter, "counter", "", "")
	fs.BoolVar(&f.next, "next", false, "")
	fs.IntVar(&f.window, "window", 0, "")
	fs.BoolVar(&f.json, "json", false, "")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	q, err := f.query(e)
	if err != nil {
		return err
	}
	tok, err := f.open(e)
	if err != nil {
		return err
	}
	res, err := tok.Codes(q)
	if err != nil {
		return f.clientError(err)
	}
	return printCodes(e.stdout, res, f.json)
}

// addTokenFlags registers the flags that name a token and unlock it. pwFlag
// names the flag of the SecurID token's password file, which `openvpn
// client` keeps apart from the VPN password.
func (f *codeFlags) addTokenFlags(fs *flag.FlagSet, pwFlag string) {
	fs.StringVar(&f.mode, "token-mode", "", "")
	fs.StringVar(&f.secret, "token-secret", "", "")
	fs.IntVar(&f.digits, "digits", 0, "")
	fs.IntVar(&f.period, "period", 0, "")
	fs.StringVar(&f.keyID, "key-id", "", "")
	fs.StringVar(&f.pskcKeyFile, "pskc-key-file", "", "")
	fs.StringVar(&f.pskcPwFile, "pskc-password-file", "", "")
	fs.StringVar(&f.passwordFile, pwFlag, "", "")
	f.pwFlag = pwFlag
	fs.StringVar(&f.pinFile, "pin-file", "", "")
	fs.StringVar(&f.devid, "devid", "", "")
}

// open resolves the token the flags name. A secret on the command line is
// visible to other users through ps(1), so an interactive user is told of
// the safer ways.
func (f *codeFlags) open(e *env) (*client.Token, error) {
	mode, err := client.ParseMode(f.mode)
	if err != nil {
		return nil, f.clientError(err)
	}
	if _, isFile := client.FilePath(f.secret); f.secret != "" && f.secret != "-" && !isFile && mode != client.YubiOATH && e.stderrTerminal {
		e.hintf("a secret on the command line can be read by other local users; use --token-secret @FILE, --token-secret - (stdin) or $%s", client.EnvTokenSecret)
	}
	tok, err := client.Open(client.Source{
		Mode: mode, Secret: f.secret, Digits: f.digits, Period: f.period, KeyID: f.keyID,
		PSKCKeyFile: f.pskcKeyFile, PSKCPasswordFile: f.pskcPwFile,
		PasswordFile: f.passwordFile, PINFile: f.pinFile, DeviceID: f.devid,
		OpenCard: openOATHCard, Env: e.client(),
	})
	return tok, f.clientError(err)
}

// query is the codes the flags of `otpgate code` ask for.
func (f *codeFlags) query(e *env) (client.Query, error) {
	q := client.Query{Now: e.now(), Next: f.next, Count: f.window + 1}
	if f.window < 0 || f.window >= client.MaxCount {
		return q, usagef("--window must be from 0 to %d", client.MaxCount-1)
	}
	var err error
	if f.at != "" {
		if q.Now, err = client.ParseTime(f.at); err != nil {
			return q, f.clientError(err)
		}
	}
	if f.counter != "" {
		c, err := strconv.ParseUint(f.counter, 10, 63)
		if err != nil {
			return q, usagef("--counter must be a decimal number below 2^63")
		}
		q.Counter = &c
	}
	return q, nil
}

// client is the process around a token, for package client.
func (e *env) client() client.Env {
	return client.Env{Getenv: e.getenv, Stdin: e.stdin, Ask: e.readPassword, Warn: func(m string) { e.warnf("%s", m) }}
}

// unlocker supplies the key or password of an encrypted PSKC document, for
// `otpgate import` too.
func (f *codeFlags) unlocker(e *env) func([]string) ([]byte, []byte, error) {
	unlock := e.client().PSKCUnlock(f.pskcKeyFile, f.pskcPwFile)
	return func(names []string) ([]byte, []byte, error) {
		key, pw, err := unlock(names)
		return key, pw, f.clientError(err)
	}
}

// clientError gives an error of package client the CLI's form: a usage
// error exits 2, and a missing or wrong password gets the hint that says
// how to give the right one.
func (f *codeFlags) clientError(err error) error {
	var ue *client.UsageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return &usageError{msg: ue.Msg, hint: ue.Hint}
	case errors.Is(err, client.ErrPSKCLocked):
		return withHint(err, "give --pskc-key-file, --pskc-password-file, $%s or $%s", client.EnvPSKCKey, client.EnvPSKCPassword)
	case errors.Is(err, securid.ErrBadPassword):
		return withHint(err, "give the token's password with --%s FILE or $%s", f.pwFlag, client.EnvRSAPassword)
	case errors.Is(err, securid.ErrBadDeviceID):
		return withHint(err, "give the device ID the token was issued to with --devid ID or $%s", client.EnvRSADeviceID)
	case errors.Is(err, securid.ErrBadPIN):
		return withHint(err, "give the PIN with --pin-file FILE or $%s", client.EnvRSAPIN)
	case errors.Is(err, ykoath.ErrWrongPassword), errors.Is(err, client.ErrOATHLocked):
		return withHint(err, "give the YubiKey OATH password in $%s or on a terminal", client.EnvYubiKeyPassword)
	}
	return err
}

func printCodes(w io.Writer, res *client.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	for _, c := range res.Codes {
		fmt.Fprintln(w, c.Code)
	}
	return nil
}
