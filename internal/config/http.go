package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"time"

	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/web"
)

// Web is the HTTPS front end (package web): the JSON API, the Yubico
// validation protocol and, later, the portal. It is a listener of its own,
// beside [HTTP]'s health and metrics.
type Web struct {
	// Listen is host:port; "off" (the default) disables the front end.
	Listen string `toml:"listen"`
	// CertFile and KeyFile are the PEM certificate chain and private key,
	// reloaded on SIGHUP. Without them the front end speaks plain HTTP,
	// which is allowed only on loopback or behind trusted_proxies.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// TrustedProxies are the reverse proxies (addresses or networks) whose
	// X-Forwarded-For names the client.
	TrustedProxies []string `toml:"trusted_proxies"`
	// CORSOrigins may call the API from a browser; none by default.
	CORSOrigins []string `toml:"cors_origins"`
	// MaxBody bounds a request body, in bytes.
	MaxBody           int64    `toml:"max_body"`
	ReadHeaderTimeout Duration `toml:"read_header_timeout"`
	ReadTimeout       Duration `toml:"read_timeout"`
	WriteTimeout      Duration `toml:"write_timeout"`
	IdleTimeout       Duration `toml:"idle_timeout"`
	// Rates are requests a second on average, with bursts; a rate of 0
	// turns that limit off.
	RatePerSource  float64 `toml:"rate_per_source"`
	BurstPerSource int     `toml:"burst_per_source"`
	RatePerKey     float64 `toml:"rate_per_key"`
	BurstPerKey    int     `toml:"burst_per_key"`
}

// Defaults of [web]. A web application's server sends its users' logins
// from one address with one key, so the limits leave room for a busy one
// and stop only a runaway client.
const (
	DefaultWebRatePerSource  = 50
	DefaultWebBurstPerSource = 100
	DefaultWebRatePerKey     = 200
	DefaultWebBurstPerKey    = 400
	minWebTimeout            = time.Second
	minWebBody, maxWebBody   = 1 << 10, 16 << 20
)

func defaultWeb() Web {
	return Web{Listen: Off, MaxBody: web.DefaultMaxBody,
		ReadHeaderTimeout: Duration{web.DefaultReadHeaderTimeout}, ReadTimeout: Duration{web.DefaultReadTimeout},
		WriteTimeout: Duration{web.DefaultWriteTimeout}, IdleTimeout: Duration{web.DefaultIdleTimeout},
		RatePerSource: DefaultWebRatePerSource, BurstPerSource: DefaultWebBurstPerSource,
		RatePerKey: DefaultWebRatePerKey, BurstPerKey: DefaultWebBurstPerKey}
}

func (c *Config) checkWeb() error {
	if err := c.Web.check(); err != nil {
		return fmt.Errorf("web.%w", err)
	}
	return nil
}

func (w *Web) check() error {
	if err := checkHostPort(w.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", w.Listen, err)
	}
	for _, f := range []struct{ key, v string }{{"cert_file", w.CertFile}, {"key_file", w.KeyFile}} {
		if f.v != "" && !filepath.IsAbs(f.v) {
			return fmt.Errorf("%s %q is not an absolute path", f.key, f.v)
		}
	}
	if (w.CertFile == "") != (w.KeyFile == "") {
		return errors.New("cert_file and key_file go together: give both for TLS, or neither for plain HTTP")
	}
	proxies, err := w.Proxies()
	if err != nil {
		return err
	}
	if w.Listen != Off {
		if err := web.Check(w.Listen, w.CertFile != "", proxies); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	for _, check := range []func() error{w.checkOrigins, w.checkLimits, w.checkRates} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// Proxies parses trusted_proxies.
func (w *Web) Proxies() ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, s := range w.TrustedProxies {
		p, err := radius.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func (w *Web) checkOrigins() error {
	for _, o := range w.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("cors_origins: %q is not an origin (accepted: scheme://host[:port], e.g. \"https://app.example.com\"; no wildcard)", o)
		}
	}
	return nil
}

func (w *Web) checkLimits() error {
	if w.MaxBody < minWebBody || w.MaxBody > maxWebBody {
		return fmt.Errorf("max_body = %d is out of range (accepted: %d to %d bytes)", w.MaxBody, minWebBody, maxWebBody)
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"read_header_timeout", w.ReadHeaderTimeout}, {"read_timeout", w.ReadTimeout}, {"write_timeout", w.WriteTimeout}, {"idle_timeout", w.IdleTimeout}} {
		if d.v.Duration < minWebTimeout {
			return fmt.Errorf("%s %q is under %v (accepted: e.g. \"10s\")", d.key, d.v.Duration, minWebTimeout)
		}
	}
	return nil
}

func (w *Web) checkRates() error {
	for _, r := range []struct {
		key   string
		rate  float64
		burst int
	}{{"rate_per_source", w.RatePerSource, w.BurstPerSource}, {"rate_per_key", w.RatePerKey, w.BurstPerKey}} {
		if r.rate < 0 || r.rate > 0 && r.burst < 1 {
			return fmt.Errorf("%s = %v with burst %d (accepted: 0 for no limit, or a positive rate with a burst of at least 1)", r.key, r.rate, r.burst)
		}
	}
	return nil
}

// Server returns the listener's configuration for package web; the
// configuration must have been validated.
func (w *Web) Server(log *slog.Logger) web.Config {
	proxies, _ := w.Proxies()
	return web.Config{
		Listen: w.Listen, CertFile: w.CertFile, KeyFile: w.KeyFile, TrustedProxies: proxies,
		MaxBody: w.MaxBody, ReadHeaderTimeout: w.ReadHeaderTimeout.Duration, ReadTimeout: w.ReadTimeout.Duration,
		WriteTimeout: w.WriteTimeout.Duration, IdleTimeout: w.IdleTimeout.Duration, CORSOrigins: w.CORSOrigins,
		PerSource: rate(w.RatePerSource, w.BurstPerSource), Logger: log,
	}
}

// KeyRate is each API key's rate for package web.
func (w *Web) KeyRate() web.Rate { return rate(w.RatePerKey, w.BurstPerKey) }

func rate(perSecond float64, burst int) web.Rate {
	if perSecond == 0 {
		return web.Rate{}
	}
	return web.Rate{PerSecond: perSecond, Burst: burst}
}
