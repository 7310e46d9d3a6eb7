package client

import (
	"errors"
	"fmt"
	"strings"

	"otpgate.dev/otpgate/internal/atomicfile"
)

// MaxSecretFile bounds a password, PIN or key file.
const MaxSecretFile = 4096

// ErrPSKCLocked means a PSKC document is encrypted and neither a key nor a
// password for it could be had.
var ErrPSKCLocked = errors.New("client: the PSKC document is encrypted and no key or password was given")

// ReadSecretFile reads a password or PIN file, without its final newline.
// The file must pass atomicfile.CheckSecret.
func ReadSecretFile(path string) (string, error) {
	data, err := atomicfile.ReadSecret(path, MaxSecretFile)
	if err != nil {
		return "", err
	}
	defer clear(data)
	return strings.TrimRight(string(data), "\r\n"), nil
}

// ReadHexKeyFile reads a file holding a key in hex, as `openssl rand -hex`
// writes it. The file must pass atomicfile.CheckSecret.
func ReadHexKeyFile(path string) ([]byte, error) {
	data, err := atomicfile.ReadSecret(path, MaxSecretFile)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	key, err := ParseHexKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return key, nil
}

// PSKCUnlock returns the tokenspec.Options Unlock of an encrypted PSKC
// document: the hex key in keyFile, else the password in passwordFile, else
// $OTPGATE_PSKC_KEY, $OTPGATE_PSKC_PASSWORD, else a password asked on the
// terminal. With none of them the error wraps ErrPSKCLocked.
func (e Env) PSKCUnlock(keyFile, passwordFile string) func(names []string) (key, password []byte, err error) {
	return func(names []string) ([]byte, []byte, error) {
		switch {
		case keyFile != "":
			key, err := ReadHexKeyFile(e.Path(keyFile))
			return key, nil, err
		case passwordFile != "":
			pw, err := ReadSecretFile(e.Path(passwordFile))
			return nil, []byte(pw), err
		case e.getenv(EnvPSKCKey) != "":
			key, err := ParseHexKey([]byte(e.getenv(EnvPSKCKey)))
			if err != nil {
				return nil, nil, fmt.Errorf("$%s %w", EnvPSKCKey, err)
			}
			return key, nil, nil
		case e.getenv(EnvPSKCPassword) != "":
			return nil, []byte(e.getenv(EnvPSKCPassword)), nil
		}
		prompt := "PSKC password"
		if len(names) > 0 {
			prompt += " for " + strings.Join(names, ", ")
		}
		pw, err := e.ask(prompt + ": ")
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrPSKCLocked, err)
		}
		return nil, pw, nil
	}
}
