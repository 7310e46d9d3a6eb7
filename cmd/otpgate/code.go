package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/tokenspec"
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

type codeFlags struct {
	mode, secret, at, keyID string
	pskcKeyFile, pskcPwFile string
	passwordFile, pinFile   string // --token-mode rsa
	pwFlag                  string // the flag that sets passwordFile
	devid                   string
	counter                 string
	next, json              bool
	window, digits, period  int
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
	res, err := f.codes(e)
	if err != nil {
		return err
	}
	return printCodes(e.stdout, res, f.json)
}

// addTokenFlags registers the flags that name a token and unlock it, shared
// by `otpgate code` and `otpgate openvpn client`. pwFlag names the flag of
// the SecurID token's password file, which `openvpn client` keeps apart from
// the VPN password.
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

// codes generates the codes f asks for in any token mode, saving an HOTP
// counter in its token file first.
func (f *codeFlags) codes(e *env) (*client.Result, error) {
	if isDeviceMode(f.mode) {
		return deviceCodes(e, f)
	}
	req, err := f.request(e)
	if err != nil {
		return nil, err
	}
	res, err := client.Generate(*req)
	if err != nil {
		return nil, err
	}
	if res.NextCounter != nil && !res.Saved && req.Counter == nil {
		e.warnf("the HOTP counter is now %d but is not saved anywhere; keep the token in a file (--token-secret @FILE) so that it is", *res.NextCounter)
	}
	return res, nil
}

func (f *codeFlags) request(e *env) (*client.Request, error) {
	mode, err := parseMode(f.mode)
	if err != nil {
		return nil, err
	}
	if f.window < 0 || f.window > 1000 {
		return nil, usagef("--window must be from 0 to 1000")
	}
	if f.digits != 0 && (f.digits < 6 || f.digits > 10) {
		return nil, usagef("--digits must be from 6 to 10")
	}
	if f.period < 0 || f.period > 86400 {
		return nil, usagef("--period must be from 1 to 86400 seconds")
	}
	secret, err := f.secretText(e)
	if err != nil {
		return nil, err
	}
	req := &client.Request{Mode: mode, Secret: secret, Now: e.now(), Next: f.next, Count: f.window + 1, Digits: f.digits, Period: f.period}
	if f.at != "" {
		if req.Now, err = parseTime(f.at); err != nil {
			return nil, err
		}
	}
	if f.counter != "" {
		c, err := strconv.ParseUint(f.counter, 10, 63)
		if err != nil {
			return nil, usagef("--counter must be a decimal number below 2^63")
		}
		req.Counter = &c
	}
	req.Spec = tokenspec.Options{Mode: mode, KeyID: f.keyID, Warn: func(m string) { e.warnf("%s", m) }, Unlock: f.unlocker(e)}
	return req, nil
}

func parseMode(s string) (tokenspec.Mode, error) {
	switch strings.ToLower(s) {
	case "":
		return tokenspec.ModeUnknown, nil
	case "totp":
		return tokenspec.TOTP, nil
	case "hotp":
		return tokenspec.HOTP, nil
	}
	return 0, usagef("unknown token mode %q (accepted: totp, hotp, rsa, yubioath)", s)
}

// secretText finds the token spec: the flag, standard input for "-", or the
// environment. A secret given on the command line is visible to other users
// through ps(1), so an interactive user is told of the safer ways.
func (f *codeFlags) secretText(e *env) (string, error) {
	switch {
	case f.secret == "-":
		return readSpec(e.stdin)
	case f.secret != "":
		if _, isFile := client.FilePath(f.secret); !isFile && e.stderrTerminal {
			e.hintf("a secret on the command line can be read by other local users; use --token-secret @FILE, --token-secret - (stdin) or $OTPGATE_TOKEN_SECRET")
		}
		return f.secret, nil
	case e.getenv("OTPGATE_TOKEN_SECRET") != "":
		return e.getenv("OTPGATE_TOKEN_SECRET"), nil
	}
	return "", &usageError{msg: "no token secret given", hint: "give --token-secret SPEC, --token-secret @FILE, --token-secret - (stdin) or set OTPGATE_TOKEN_SECRET"}
}

func readSpec(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), tokenspec.MaxSpecSize+1))
	if err != nil {
		return "", fmt.Errorf("read the token secret from standard input: %w", err)
	}
	if len(data) > tokenspec.MaxSpecSize {
		return "", fmt.Errorf("the token secret on standard input is larger than %d bytes", tokenspec.MaxSpecSize)
	}
	return string(data), nil
}

// parseTime accepts Unix seconds (optionally after '@', as oathtool does)
// or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(strings.TrimPrefix(s, "@"), 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--time %q is neither Unix seconds nor RFC 3339 (e.g. 1700000000 or 2026-11-23T10:00:00Z)", s)
}

// unlocker supplies the key or password of an encrypted PSKC document: from
// a file, the environment, or the terminal.
func (f *codeFlags) unlocker(e *env) func([]string) ([]byte, []byte, error) {
	return func(names []string) ([]byte, []byte, error) {
		if f.pskcKeyFile != "" {
			return readHexKeyFile(f.pskcKeyFile)
		}
		if f.pskcPwFile != "" {
			pw, err := os.ReadFile(f.pskcPwFile)
			return nil, []byte(strings.TrimRight(string(pw), "\r\n")), err
		}
		if k := e.getenv("OTPGATE_PSKC_KEY"); k != "" {
			key, err := hex.DecodeString(strings.TrimSpace(k))
			if err != nil {
				return nil, nil, errors.New("$OTPGATE_PSKC_KEY is not hex")
			}
			return key, nil, nil
		}
		if pw := e.getenv("OTPGATE_PSKC_PASSWORD"); pw != "" {
			return nil, []byte(pw), nil
		}
		prompt := "PSKC password"
		if len(names) > 0 {
			prompt += " for " + strings.Join(names, ", ")
		}
		pw, err := e.readPassword(prompt + ": ")
		if err != nil {
			return nil, nil, withHint(fmt.Errorf("the PSKC document is encrypted and no key or password was given: %w", err),
				"give --pskc-key-file, --pskc-password-file, $OTPGATE_PSKC_KEY or $OTPGATE_PSKC_PASSWORD")
		}
		return nil, pw, nil
	}
}

func readHexKeyFile(path string) ([]byte, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s does not hold a hex key", path)
	}
	return key, nil, nil
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
