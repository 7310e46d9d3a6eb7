package primary

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PAMConfig configures [NewPAM]. The zero value checks passwords with the
// stack in /etc/pam.d/otpgate, four transactions at a time.
type PAMConfig struct {
	// Service is the PAM service name, the file in /etc/pam.d (or ConfDir)
	// that holds the stack. Default "otpgate". Letters, digits and ".-_+",
	// at most 64 bytes, not starting with '.'. If the file is missing, PAM
	// uses the "other" service, as every PAM application does.
	Service string
	// ConfDir, when set, is an absolute directory read instead of /etc/pam.d
	// (pam_start_confdir, Linux-PAM 1.4 or later): a private stack that
	// other programs do not see.
	ConfDir string
	// MaxConcurrent bounds the PAM transactions in flight. Default 4.
	MaxConcurrent int
}

// Defaults and limits of [PAMConfig] and [PAM.Check].
const (
	DefaultPAMService       = "otpgate"
	DefaultPAMMaxConcurrent = 4
	maxPAMServiceLen        = 64
	maxPAMConcurrent        = 1024
	// MaxPAMUserLen bounds user names handed to PAM.
	MaxPAMUserLen = 256
	// MaxPAMPasswordLen is Linux-PAM's PAM_MAX_RESP_SIZE: pam_unix refuses
	// longer passwords anyway.
	MaxPAMPasswordLen = 512
)

// withDefaults validates c and fills in its defaults.
func (c PAMConfig) withDefaults() (PAMConfig, error) {
	if c.Service == "" {
		c.Service = DefaultPAMService
	}
	if err := checkPAMService(c.Service); err != nil {
		return c, err
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultPAMMaxConcurrent
	}
	if c.MaxConcurrent < 1 || c.MaxConcurrent > maxPAMConcurrent {
		return c, fmt.Errorf("primary: pam: MaxConcurrent %d out of range: want 1 to %d (0 means %d)",
			c.MaxConcurrent, maxPAMConcurrent, DefaultPAMMaxConcurrent)
	}
	if c.ConfDir != "" {
		if err := checkPAMConfDir(c.ConfDir); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkPAMService accepts the names found in /etc/pam.d: a service name
// becomes a file name there, so a '/' or ".." could reach another file.
func checkPAMService(s string) error {
	ok := len(s) <= maxPAMServiceLen && s[0] != '.'
	for _, r := range s {
		ok = ok && (r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_+", r)))
	}
	if !ok {
		return fmt.Errorf("primary: pam: bad service name %q: want letters, digits and \".-_+\", "+
			"at most %d bytes, not starting with '.'", s, maxPAMServiceLen)
	}
	return nil
}

func checkPAMConfDir(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("primary: pam: ConfDir %q is not an absolute path", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("primary: pam: ConfDir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("primary: pam: ConfDir %q is not a directory", dir)
	}
	return nil
}

// pamUserOK reports whether user may be handed to PAM. Control characters
// are refused too: modules write the name into syslog lines.
func pamUserOK(user string) bool {
	if user == "" || len(user) > MaxPAMUserLen || !utf8.ValidString(user) {
		return false
	}
	return !strings.ContainsFunc(user, unicode.IsControl)
}

// pamPasswordOK reports whether password may be handed to PAM. A NUL would
// cut the C string short, so "secret\x00junk" would pass as "secret".
func pamPasswordOK(password string) bool {
	return password != "" && len(password) <= MaxPAMPasswordLen && !strings.Contains(password, "\x00")
}

// PAM checks passwords with a Linux-PAM stack (pam_authenticate(3), then
// pam_acct_mgmt(3)), as OpenVPN's openvpn-plugin-auth-pam does, calling
// libpam.so.0 loaded at run time (package dynlib, no cgo): by default
// the local Unix accounts of /etc/passwd and /etc/shadow through pam_unix,
// or whatever the admin's stack names (pam_sss, pam_ldap, pam_radius_auth).
// Create it with [NewPAM]; the zero value fails every Check. See the
// Linux-PAM Application Developers' Guide,
// https://www.linux-pam.org/Linux-PAM-html/Linux-PAM_ADG.html.
//
// Check answers every echo-off prompt with the password and every echo-on
// prompt with the user name, ignores the stack's messages, and refuses any
// prompt after the password was given twice: a stack asking for a second
// factor of its own makes Check fail rather than loop. Both calls run with
// PAM_SILENT and PAM_DISALLOW_NULL_AUTHTOK, so an empty password never
// passes; an expired or locked account is refused by pam_acct_mgmt.
//
// Check returns (false, nil), without calling PAM, for a user name PAM
// cannot take intact (empty, over 256 bytes, control characters, invalid
// UTF-8) or such a password (empty, over 512 bytes, a NUL); and it returns
// (false, nil) for
// PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_ACCT_EXPIRED, PAM_PERM_DENIED,
// PAM_MAXTRIES and PAM_NEW_AUTHTOK_REQD. Any other PAM result (a missing
// module, PAM_SYSTEM_ERR, PAM_ABORT, PAM_AUTHINFO_UNAVAIL when a directory
// is down) is an error: the backend is broken, not the password wrong. A
// stack that changes PAM_USER is an error too, since the second factor is
// looked up under the name the client gave. Under a context from
// [WithRemoteHost], PAM_RHOST is set before pam_authenticate.
//
// A PAM is safe for concurrent use. At most MaxConcurrent transactions run
// at once; Check waits for a free slot. Modules may sleep after a failure
// (pam_faildelay, pam_unix's 2 s delay), which holds one slot, never the
// caller: when ctx is done, Check returns ctx.Err() at once and the
// transaction finishes, and frees its slot, in the background. Each
// transaction runs on an OS thread of its own, which exits afterwards, so
// no module's per-thread state outlives it.
//
// pam_unix reads /etc/shadow: run otpgate as root or in group shadow.
type PAM struct {
	cfg PAMConfig
	lib *libpam
	sem chan struct{} // one token per transaction in flight
}
