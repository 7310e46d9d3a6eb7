package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/client"
	"otpgate.dev/otpgate/internal/securid"
	"otpgate.dev/otpgate/internal/ykoath"
)

// maxSecretFile bounds a --password-file or --pin-file.
const maxSecretFile = 4096

// openOATHCard connects to the YubiKey for --token-mode yubioath; nil
// opens the first PC/SC reader with the OATH applet. Tests replace it with
// the simulator.
var openOATHCard func() (client.Card, error)

// isDeviceMode reports whether mode is one of the token modes whose secret
// lives in a hardware or SecurID token rather than in a tokenspec.
func isDeviceMode(mode string) bool {
	m := strings.ToLower(mode)
	return m == "rsa" || m == "yubioath"
}

// deviceCodes generates the codes of --token-mode rsa and yubioath.
func deviceCodes(e *env, f *codeFlags) (*client.Result, error) {
	if err := f.checkDevice(); err != nil {
		return nil, err
	}
	now := e.now()
	if f.at != "" {
		var err error
		if now, err = parseTime(f.at); err != nil {
			return nil, err
		}
	}
	var res *client.Result
	var err error
	if strings.EqualFold(f.mode, "rsa") {
		res, err = f.rsaCodes(e, now)
	} else {
		res, err = client.GenerateYubiOATH(client.YubiOATHRequest{
			Name: f.secret, Now: now, Next: f.next, Count: f.window + 1,
			Open: openOATHCard, Password: yubiKeyPassword(e),
		})
		err = oathHint(err)
	}
	return res, err
}

// checkDevice refuses the options that --token-mode rsa and yubioath take
// from the token itself.
func (f *codeFlags) checkDevice() error {
	switch {
	case f.counter != "":
		return usagef("--counter is for hotp tokens, not --token-mode %s", f.mode)
	case f.digits != 0 || f.period != 0:
		return usagef("--digits and --period come from the token itself in --token-mode %s", f.mode)
	case f.window < 0 || f.window > 1000:
		return usagef("--window must be from 0 to 1000")
	}
	return nil
}

func (f *codeFlags) rsaCodes(e *env, now time.Time) (*client.Result, error) {
	secret := ""
	if f.secret != "" || e.getenv("OTPGATE_TOKEN_SECRET") != "" {
		var err error
		if secret, err = f.secretText(e); err != nil {
			return nil, err
		}
	}
	res, err := client.GenerateRSA(client.RSARequest{
		Secret: strings.TrimSpace(secret), Home: e.getenv("HOME"), Now: now, Next: f.next, Count: f.window + 1,
		Password: f.rsaSecret(e, f.passwordFile, "OTPGATE_RSA_PASSWORD", "SecurID token password: "),
		DeviceID: f.rsaDeviceID(e),
		PIN:      f.rsaPIN(e),
		Warn:     func(m string) { e.warnf("%s", m) },
	})
	return res, rsaHint(err, f.pwFlag)
}

// rsaHint adds how to give the right secret to a SecurID error; pwFlag is
// the command's flag for the token's password file.
func rsaHint(err error, pwFlag string) error {
	switch {
	case errors.Is(err, securid.ErrBadPassword):
		return withHint(err, "give the token's password with --%s FILE or $OTPGATE_RSA_PASSWORD", pwFlag)
	case errors.Is(err, securid.ErrBadDeviceID):
		return withHint(err, "give the device ID the token was issued to with --devid ID or $OTPGATE_RSA_DEVID")
	case errors.Is(err, securid.ErrBadPIN):
		return withHint(err, "give the PIN with --pin-file FILE or $OTPGATE_RSA_PIN")
	}
	return err
}

// rsaSecret returns a function that reads a secret from a file, else the
// environment variable, else the terminal.
func (f *codeFlags) rsaSecret(e *env, file, envVar, prompt string) func() (string, error) {
	return func() (string, error) {
		if file != "" {
			return readSecretFile(file)
		}
		if v := e.getenv(envVar); v != "" {
			return v, nil
		}
		pw, err := e.readPassword(prompt)
		if err != nil {
			return "", fmt.Errorf("not given and %w", err)
		}
		return string(pw), nil
	}
}

func (f *codeFlags) rsaDeviceID(e *env) func() (string, error) {
	if f.devid != "" {
		return func() (string, error) { return f.devid, nil }
	}
	return f.rsaSecret(e, "", "OTPGATE_RSA_DEVID", "SecurID device ID: ")
}

// rsaPIN asks for the PIN as OpenConnect does: a token that mixes its PIN
// in needs one; for the others an empty PIN (no terminal to ask on) means
// the bare tokencode.
func (f *codeFlags) rsaPIN(e *env) func(bool) (string, error) {
	get := f.rsaSecret(e, f.pinFile, "OTPGATE_RSA_PIN", "SecurID PIN (empty for none): ")
	return func(required bool) (string, error) {
		pin, err := get()
		if err != nil && !required && f.pinFile == "" {
			return "", nil
		}
		return pin, err
	}
}

// readSecretFile reads a password or PIN file, without its final newline.
func readSecretFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes; it should hold only a password or PIN", path, maxSecretFile)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

func yubiKeyPassword(e *env) func() ([]byte, error) {
	return func() ([]byte, error) {
		if pw := e.getenv("OTPGATE_YUBIKEY_PASSWORD"); pw != "" {
			return []byte(pw), nil
		}
		return e.readPassword("YubiKey OATH password: ")
	}
}

func oathHint(err error) error {
	if errors.Is(err, ykoath.ErrWrongPassword) || errors.Is(err, client.ErrOATHLocked) {
		return withHint(err, "give the YubiKey OATH password in $OTPGATE_YUBIKEY_PASSWORD or on a terminal")
	}
	return err
}
