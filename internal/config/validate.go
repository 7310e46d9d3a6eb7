package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/radius"
)

// Off disables a listener.
const Off = "off"

// MinAuditRetention is the shortest log.audit_retention: less is more
// likely a typo ("90s" for "90d") than a wish to keep no trail.
const MinAuditRetention = time.Hour

// Validate checks every value and names the key of the first bad one.
func (c *Config) Validate() error {
	checks := []func() error{c.checkFiles, c.checkLog, c.checkPolicy, c.checkAuth, c.checkListeners, c.checkRADIUS, c.checkOpenVPN, c.checkWeb, c.checkOOB, c.checkLDAP, c.checkPortal, c.checkRules}
	for _, f := range checks {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkFiles() error {
	if c.KeyFile != "" && !filepath.IsAbs(c.KeyFile) {
		return fmt.Errorf("key_file %q is not an absolute path", c.KeyFile)
	}
	return nil
}

func (c *Config) checkLog() error {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q is not a level (accepted: debug, info, warn, error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format %q is not a format (accepted: text, json)", c.Log.Format)
	}
	if r := c.Log.AuditRetention.Duration; r != 0 && r < MinAuditRetention {
		return fmt.Errorf("log.audit_retention %q is under %v (accepted: \"0s\" to keep every event, or %v or more, e.g. \"2160h\" for 90 days)",
			r, MinAuditRetention, MinAuditRetention)
	}
	return nil
}

func (c *Config) checkPolicy() error {
	p := c.Policy
	ranges := []struct {
		key     string
		v       *int
		lo, hi  int
		meaning string
	}{
		{"policy.hotp_window", p.HOTPWindow, 1, 1000, "codes after the last accepted one"},
		{"policy.totp_back", p.TOTPBack, 0, 100, "time steps"},
		{"policy.totp_forward", p.TOTPForward, 0, 100, "time steps"},
		{"policy.max_failures", p.MaxFailures, 0, 1000, "the consecutive failure that locks: 5 locks at the 5th; 0 and 1 at the first"},
		{"policy.resync_window", p.ResyncWindow, 1, 100000, "counters or steps"},
		{"policy.client_max_failures", p.ClientMaxFailures, 0, 1000000, "the failed login of one client that locks it; 0 and 1 lock at the first"},
	}
	for _, r := range ranges {
		if r.v != nil && (*r.v < r.lo || *r.v > r.hi) {
			return fmt.Errorf("%s = %d is out of range (accepted: %d to %d %s)", r.key, *r.v, r.lo, r.hi, r.meaning)
		}
	}
	for key, d := range map[string]*Duration{"policy.client_remember": p.ClientRemember, "policy.client_lock_for": p.ClientLockFor} {
		if d != nil && d.Duration <= 0 {
			return fmt.Errorf("%s = %q is not positive (accepted: a duration such as \"15m\")", key, d.Duration)
		}
	}
	return nil
}

func (c *Config) checkAuth() error {
	if _, err := primary.ParseSpec(c.Auth.Primary); err != nil {
		return fmt.Errorf("auth.primary: %w", err)
	}
	return nil
}

func (c *Config) checkListeners() error {
	for _, l := range []struct{ key, v string }{{"http.listen", c.HTTP.Listen}, {"radius.listen", c.RADIUS.Listen}} {
		if err := checkHostPort(l.v); err != nil {
			return fmt.Errorf("%s %q: %w", l.key, l.v, err)
		}
	}
	return nil
}

func checkHostPort(s string) error {
	if s == Off {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New(`not host:port (accepted: e.g. "127.0.0.1:1812", "[::1]:1812", ":1812", or "off")`)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return errors.New("the host must be an IP address (a name could resolve to something else later)")
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	return nil
}

func (c *Config) checkRADIUS() error {
	r := c.RADIUS
	if r.Workers < 0 || r.QueueSize < 0 || r.ReplyCacheMiB < 0 {
		return errors.New("radius.workers, radius.queue_size and radius.reply_cache_mib must not be negative")
	}
	names := make(map[string]bool)
	for i, cl := range r.Clients {
		key := fmt.Sprintf("radius.client #%d", i+1)
		if cl.Name != "" {
			key = fmt.Sprintf("radius.client %q", cl.Name)
			if names[cl.Name] {
				return fmt.Errorf("%s: the name is used twice", key)
			}
			names[cl.Name] = true
		}
		if err := cl.check(); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

func (cl RADIUSClient) check() error {
	if cl.Address == "" {
		return errors.New("no address (accepted: an IP address or a network such as 10.0.0.0/24)")
	}
	if _, err := radius.ParsePrefix(cl.Address); err != nil {
		return err
	}
	switch {
	case cl.Secret == "" && cl.SecretFile == "":
		return errors.New("no shared secret (give secret_file)")
	case cl.Secret != "" && cl.SecretFile != "":
		return errors.New("both secret and secret_file are set; keep one")
	}
	if cl.Style != "" {
		if st, err := auth.ParseStyle(cl.Style); err != nil || st == auth.Separate {
			return fmt.Errorf("style %q is not one RADIUS carries (accepted: %s, %s, %s)", cl.Style, auth.Appended, auth.Challenge, auth.CodeOnly)
		}
	}
	if cl.RatePerSecond < 0 || cl.Burst < 0 || cl.UnauthenticatedRate < 0 || cl.UnauthenticatedBurst < 0 {
		return errors.New("rate, burst, unauthenticated_rate and unauthenticated_burst must not be negative")
	}
	return nil
}

func (c *Config) checkOpenVPN() error {
	o := c.OpenVPN
	if o.Style != "" {
		if _, err := openvpn.ParseStyle(o.Style); err != nil {
			return fmt.Errorf("openvpn.style: %w", err)
		}
	}
	if o.Management == "" && (o.PasswordFile != "" || o.TokenKeyFile != "") {
		return errors.New("openvpn: password_file or token_key_file is set but management is not")
	}
	if o.HookSocket != "" && !filepath.IsAbs(o.HookSocket) {
		return fmt.Errorf("openvpn.hook_socket: %q is not an absolute path", o.HookSocket)
	}
	if o.HookSocket == "" && o.HookSocketGroup != "" {
		return errors.New("openvpn: hook_socket_group is set but hook_socket is not")
	}
	return nil
}
