package openvpn

import (
	"os"
	"strings"
)

// Env is the environment of one script run, or the ENV block of one
// management-interface client event: OpenVPN's variables by name. Tests and
// the management mode build one directly; scripts use [OSEnv].
type Env map[string]string

// OSEnv returns the process environment.
func OSEnv() Env {
	return ParseEnv(os.Environ())
}

// ParseEnv turns "name=value" entries into an Env. An entry without '=' is
// ignored; a later entry wins over an earlier one of the same name.
func ParseEnv(entries []string) Env {
	env := make(Env, len(entries))
	for _, kv := range entries {
		if name, value, ok := strings.Cut(kv, "="); ok && name != "" {
			env[name] = value
		}
	}
	return env
}

// Source returns the client's address for the audit trail: the untrusted
// address during authentication, the trusted one afterwards.
func (e Env) Source() string {
	for _, name := range []string{EnvUntrustedIP, EnvUntrustedIP6, EnvTrustedIP, EnvTrustedIP6} {
		if v := e[name]; v != "" {
			return v
		}
	}
	return ""
}

// supportsCRText reports whether the client announced the crtext pending-auth
// method in IV_SSO, without which OpenVPN refuses an auth_pending_file.
func (e Env) supportsCRText() bool {
	for _, m := range strings.Split(e[EnvIVSSO], ",") {
		if strings.TrimSpace(m) == MethodCRText {
			return true
		}
	}
	return false
}

// user returns the username OpenVPN passed, falling back to the certificate
// common name for events that carry only that.
func (e Env) user() string {
	if u, ok := e[EnvUsername]; ok {
		return u
	}
	return e[EnvCommonName]
}
