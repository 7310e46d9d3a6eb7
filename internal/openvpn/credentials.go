package openvpn

import (
	"fmt"
	"strings"
)

// maxCredentialsFile bounds the via-file credentials: two lines of at most
// USER_PASS_LEN bytes each.
const maxCredentialsFile = 2 * (MaxPassword + 2)

// ParseCredentialsFile parses the file --auth-user-pass-verify writes with
// via-file: "username\npassword\n" (ssl_verify.c verify_user_pass_script).
func ParseCredentialsFile(b []byte) (user, password string, err error) {
	if len(b) > maxCredentialsFile {
		return "", "", fmt.Errorf("%w: credentials file is %d bytes long (at most %d)", ErrMalformed, len(b), maxCredentialsFile)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("%w: credentials file has %d lines, want 2 (username, password)", ErrMalformed, len(lines))
	}
	return checkCredentials(lines[0], lines[1])
}

// ReadCredentials returns the username and password of a verify script run:
// via-file when OpenVPN appended a file name to the arguments, via-env
// otherwise. OpenVPN only exports the password with script-security 3.
func ReadCredentials(env Env, args []string) (user, password string, err error) {
	if len(args) > 0 {
		b, err := readSmallFile(args[len(args)-1], maxCredentialsFile)
		if err != nil {
			return "", "", fmt.Errorf("%w: via-file: %v", ErrNoCredentials, err)
		}
		return ParseCredentialsFile(b)
	}
	user, okU := env[EnvUsername]
	password, okP := env[EnvPassword]
	if !okU || !okP {
		return "", "", fmt.Errorf("%w: via-env needs both username and password in the environment (script-security 3)", ErrNoCredentials)
	}
	return checkCredentials(user, password)
}

func checkCredentials(user, password string) (string, string, error) {
	if err := CheckUsername(user); err != nil {
		return "", "", err
	}
	if err := checkPassword(password); err != nil {
		return "", "", err
	}
	return user, password, nil
}
