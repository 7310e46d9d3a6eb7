// Package web is otpgate's HTTPS front end: the listener, its TLS
// certificate (reloaded on SIGHUP), and what every request passes through
// before a handler sees it: timeouts, a size limit, the client's address
// (from X-Forwarded-For only behind trusted proxies), per-source and per-key
// rate limits, API-key authentication, security headers, a closed CORS
// policy and an access log that holds no secret. The JSON API (package
// web/api) and the Yubico validation protocol (package web/yubico) are
// handlers mounted on it; so will be the portal.
//
// Use [New] with a [Config] and the handler to serve, then [Server.Serve];
// [Server.ReloadCertificate] on SIGHUP, [Server.Shutdown] to drain. Wrap
// the handlers that need an API key with [Auth.Require].
//
// # Transport
//
// With a certificate and key the listener speaks TLS 1.2 or later only
// (RFC 8446, RFC 5246). Without them it speaks plain HTTP, which [Check]
// allows only on a loopback address, or behind a reverse proxy that
// terminates TLS and is named in TrustedProxies: a code or an API key never
// crosses a network in the clear. Behind such a proxy the client's address
// is taken from X-Forwarded-For, walking it from the right past the trusted
// proxies (the header's left entries are whatever the client wrote).
//
// # Logs
//
// The access log has one line a request: method, path without the query,
// status, the API key's ID (never the key), the client's address and the
// time taken. Handlers never log a code, password, key or secret either.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Defaults of a Config's zero fields.
const (
	DefaultMaxBody           = 64 << 10 // bytes of a request body: a JSON login is a few hundred
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 15 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	maxHeaderBytes           = 16 << 10
)

// Config is the listener and what applies to every request.
type Config struct {
	Listen string // host:port
	// CertFile and KeyFile are a PEM certificate chain and its private key;
	// both empty means plain HTTP (see Check).
	CertFile, KeyFile string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; with plain HTTP they are also what allows a non-loopback
	// address.
	TrustedProxies []netip.Prefix
	// MaxBody bounds a request body in bytes; 0 is DefaultMaxBody.
	MaxBody int64
	// Timeouts; 0 takes the default.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// CORSOrigins are the origins a browser may call the API from, e.g.
	// "https://app.example.com"; none (the default) allows no cross-origin
	// call.
	CORSOrigins []string
	// PerSource limits the requests of one client address (IPv6 by /64).
	PerSource Rate
	Logger    *slog.Logger // nil discards
}

// Server is the front end's listener and middleware.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ln    net.Listener
	cert  *Certificate // nil for plain HTTP
	hs    *http.Server
	proxy proxies
}

// New checks cfg, loads the certificate and binds the listener, so that a
// bad certificate or a port in use is an error before the daemon is ready.
func New(cfg Config, h http.Handler) (*Server, error) {
	cfg = withDefaults(cfg)
	tlsOn := cfg.CertFile != "" || cfg.KeyFile != ""
	if err := Check(cfg.Listen, tlsOn, cfg.TrustedProxies); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, proxy: proxies(cfg.TrustedProxies)}
	var err error
	if tlsOn {
		if s.cert, err = LoadCertificate(cfg.CertFile, cfg.KeyFile); err != nil {
			return nil, err
		}
	}
	limit, err := NewLimiter(cfg.PerSource)
	if err != nil {
		return nil, fmt.Errorf("web: per-source rate: %w", err)
	}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.hs = &http.Server{
		Handler:           s.middleware(h, limit),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.cert != nil {
		s.hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.cert.Get}
	}
	return s, nil
}

func withDefaults(c Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// TLS reports whether the listener speaks TLS.
func (s *Server) TLS() bool { return s.cert != nil }

// Serve serves until Shutdown; it returns nil then.
func (s *Server) Serve() error {
	var err error
	if s.cert != nil {
		err = s.hs.ServeTLS(s.ln, "", "")
	} else {
		err = s.hs.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("web: %w", err)
}

// Shutdown stops accepting connections and waits for the requests in
// flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.hs.Shutdown(ctx) }

// Close closes the listener, served or not, and every connection at once.
func (s *Server) Close() error {
	err := s.hs.Close()
	s.ln.Close() // already closed when Serve ran
	return err
}

// ReloadCertificate reads the certificate and key files again. A pair that
// does not load (a half-written file, a key of another certificate) leaves
// the current certificate in use and is returned as the error; the log says
// so too.
func (s *Server) ReloadCertificate() error {
	if s.cert == nil {
		return nil
	}
	if err := s.cert.Reload(); err != nil {
		s.log.Error("web: the new certificate did not load; the previous one stays in use", "err", err)
		return err
	}
	s.log.Info("web: certificate reloaded", "not_after", s.cert.NotAfter().Format(time.RFC3339))
	return nil
}
