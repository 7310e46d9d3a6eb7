package client

import (
	"fmt"
	"io"
	"os/user"
	"strings"
)

// The environment variables of the user's side, each read only here.
const (
	EnvTokenSecret     = "OTPGATE_TOKEN_SECRET"
	EnvPSKCKey         = "OTPGATE_PSKC_KEY"
	EnvPSKCPassword    = "OTPGATE_PSKC_PASSWORD"
	EnvRSAPassword     = "OTPGATE_RSA_PASSWORD"
	EnvRSADeviceID     = "OTPGATE_RSA_DEVID"
	EnvRSAPIN          = "OTPGATE_RSA_PIN"
	EnvYubiKeyPassword = "OTPGATE_YUBIKEY_PASSWORD"
	EnvVPNPassword     = "OTPGATE_PASSWORD" // otpgate openvpn client
)

// Env is the process around a Token: its environment, standard input and
// terminal. Nil fields mean none.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	// Ask reads an answer from the terminal without echo; an error means
	// there is no terminal to ask on.
	Ask  func(prompt string) ([]byte, error)
	Warn func(string)
}

func (e Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

func (e Env) warn(format string, args ...any) {
	if e.Warn != nil {
		e.Warn(fmt.Sprintf(format, args...))
	}
}

func (e Env) ask(prompt string) ([]byte, error) {
	if e.Ask == nil {
		return nil, fmt.Errorf("no terminal to ask for it on")
	}
	return e.Ask(prompt)
}

// remembering returns e with Ask asking each prompt once: a second code
// does not ask for a password again.
func (e Env) remembering() Env {
	asked := map[string][]byte{}
	ask := e.Ask
	if ask != nil {
		e.Ask = func(prompt string) ([]byte, error) {
			if a, ok := asked[prompt]; ok {
				return a, nil
			}
			a, err := ask(prompt)
			if err == nil {
				asked[prompt] = a
			}
			return a, err
		}
	}
	return e
}

// Secret returns a password or PIN: from file when one is given ("~"
// expanded), else from the environment variable envVar, else asked on the
// terminal with prompt (the error then says why it could not be).
func (e Env) Secret(file, envVar, prompt string) (string, error) {
	if file != "" {
		return ReadSecretFile(e.Path(file))
	}
	if v := e.getenv(envVar); v != "" {
		return v, nil
	}
	a, err := e.ask(prompt)
	return string(a), err
}

// Path expands a leading "~" in path as a shell does: "~" and "~/..." are
// under $HOME, "~user" and "~user/..." under that user's home directory.
// Like bash, an unset or empty $HOME means the current user's home
// directory; like every shell, an unknown user leaves the path as it is.
// Nothing else changes: "~" elsewhere is an ordinary character.
func (e Env) Path(path string) string {
	if !strings.HasPrefix(path, "~") {
		return path
	}
	name, rest, _ := strings.Cut(path[1:], "/")
	home := ""
	switch {
	case name == "" && e.getenv("HOME") != "":
		home = e.getenv("HOME")
	case name == "":
		u, err := user.Current()
		if err != nil {
			return path
		}
		home = u.HomeDir
	default:
		u, err := user.Lookup(name)
		if err != nil {
			return path
		}
		home = u.HomeDir
	}
	if len(path) == len(name)+1 {
		return home
	}
	return home + "/" + rest
}
