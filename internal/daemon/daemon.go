// Package daemon is `otpgate serve`: one long-running process that puts the
// login service (package auth) behind every network front end otpgate has.
//
//   - a RADIUS server (package radius, RFC 2865) for ocserv, strongSwan and
//     any VPN concentrator that asks RADIUS;
//   - the OpenVPN management-interface mode (package openvpn/mgmt), which
//     answers an OpenVPN server started with --management-client-auth
//     without a process per login;
//   - an HTTP listener with /healthz, /readyz and Prometheus /metrics;
//   - the HTTPS front end ([web], package web): the JSON login and admin
//     API and the Yubico validation protocol, its certificate read again
//     on every reload.
//
// Use [New] with a site (package site), then [Daemon.Run]; [Daemon.Reload]
// applies a new configuration's RADIUS clients and policy without closing
// a socket (the command calls it on SIGHUP). Cancelling Run's context
// drains the requests in flight before it returns (SIGTERM). [Check] opens
// everything New would, creating and binding nothing (serve --check).
//
// The daemon follows its master key file: when otpgate rekey (or an admin
// copying a rotated key to this node) replaces it, the next login, probe
// or SIGHUP loads it, so logins go on without a restart. /readyz opens one
// sealed secret, so a key that opens nothing in the store is not ready.
//
// The daemon keeps no login state of its own: challenges, counters and
// lockouts live in the store, so several daemons may share one PostgreSQL
// database.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"otpgate.dev/otpgate/internal/buildinfo"
	"sync"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/directory"
	"otpgate.dev/otpgate/internal/oob"
	"otpgate.dev/otpgate/internal/openvpn/handoff"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/web/portal"
)

// Timing of the daemon's housekeeping.
const (
	// DrainTimeout bounds how long a shutdown waits for requests in flight.
	DrainTimeout = 10 * time.Second
	// PurgeInterval is how often expired challenges are deleted.
	PurgeInterval = time.Minute
	// AuditPruneInterval is how often audit events older than
	// log.audit_retention are deleted, the first time at start.
	AuditPruneInterval = time.Hour
)

// Options are what the daemon takes from its caller rather than from the
// configuration file.
type Options struct {
	Logger *slog.Logger     // nil discards
	Now    func() time.Time // nil means time.Now
}

// Daemon is a configured otpgate serve, its sockets bound.
type Daemon struct {
	log  *slog.Logger
	now  func() time.Time
	cfg  *config.Config
	site *site.Site
	h    *site.Handle
	st   store.Store // h.Store, or its audit-file tee
	keys *keyring
	svc  *swapService
	// dir is the [ldap] directory the service uses, nil without one; a
	// reload swaps it.
	dir atomic.Pointer[directory.Directory]
	// auditFile receives audit events as JSON lines, when configured.
	auditFile *os.File
	audit     *auditlog.Log
	lm        *loginMetrics
	oob       *oob.Service // nil without an [oob] gateway (oob.go)

	rad     *radius.Server
	radConn net.PacketConn
	httpLn  net.Listener
	web     *web.Server
	portal  *portal.Portal // nil unless [portal] is enabled
	mgmt    *mgmt.Server
	// hooks answer the OpenVPN script hooks on hookLn, with hookParams
	// (a reload replaces them).
	hooks      *handoff.Server
	hookLn     net.Listener
	hookParams atomic.Pointer[handoff.Params]

	reloadMu                sync.Mutex
	reloads, reloadFailures atomic.Uint64
	// retention is log.audit_retention, which a reload may change.
	retention atomic.Int64
}

// New opens the site s (creating the store and master key of a fresh one,
// never a key beside tokens), builds the login service and binds every
// listener, so that a port already in use or a bad secret file is an error
// here, before the daemon says it is ready.
func New(ctx context.Context, s *site.Site, opts Options) (_ *Daemon, err error) {
	d := newDaemon(s, opts)
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if err := d.openSite(ctx); err != nil {
		return nil, err
	}
	if err := d.build(); err != nil {
		return nil, err
	}
	if err := d.bindRADIUS(d.cfg); err != nil {
		return nil, err
	}
	if err := d.bindHTTP(d.cfg); err != nil {
		return nil, err
	}
	if err := d.bindWeb(d.cfg); err != nil {
		return nil, err
	}
	if err := d.bindHooks(d.cfg); err != nil {
		return nil, err
	}
	return d, nil
}

func newDaemon(s *site.Site, opts Options) *Daemon {
	d := &Daemon{log: opts.Logger, now: opts.Now, cfg: s.Config, site: s, svc: &swapService{}, lm: newLoginMetrics()}
	d.retention.Store(int64(s.Config.Log.AuditRetention.Duration))
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// build makes the login service and the management-interface client.
func (d *Daemon) build() error {
	if err := d.buildOOB(d.cfg); err != nil {
		return err
	}
	svc, dir, err := newService(d.cfg, d.st, d.keys.current(), d.sender(), d.now)
	if err != nil {
		return err
	}
	d.install(svc, dir)
	d.svc.follow = d.followKey
	d.mgmt, err = d.managementServer(d.cfg)
	return err
}

// install makes svc the login service every front end calls, and dir its
// directory. The previous directory is closed a minute later, once the
// logins in flight on it are done (each step is bounded by its timeouts).
func (d *Daemon) install(svc *auth.Service, dir *directory.Directory) {
	d.svc.set(instrumented{svc, d.lm})
	if old := d.dir.Swap(dir); old != nil {
		time.AfterFunc(time.Minute, func() { old.Close() })
	}
}

func (d *Daemon) openSite(ctx context.Context) error {
	h, err := d.site.Open(ctx, site.MayCreate)
	if err != nil {
		return err
	}
	d.h, d.st = h, h.Store
	for _, c := range h.Created {
		d.log.Info("otpgate serve: created for a fresh site", "what", c)
	}
	if d.keys, err = newKeyring(d.site.KeyFile, h.Box); err != nil {
		return err
	}
	if path := d.cfg.Log.AuditFile; path != "" {
		f, err := auditlog.OpenFile(path)
		if err != nil {
			return fmt.Errorf("log.audit_file: %w", err)
		}
		d.auditFile = f
		if d.audit, err = auditlog.Tee(ctx, d.st, f); err != nil {
			return fmt.Errorf("log.audit_file: %w", err)
		}
		d.st = d.audit
	}
	return nil
}

func (d *Daemon) bindRADIUS(cfg *config.Config) error {
	if cfg.RADIUS.Listen == config.Off {
		return nil
	}
	clients, err := radiusClients(cfg)
	if err != nil {
		return err
	}
	d.rad, err = radius.New(radius.Config{
		Service: d.svc, Clients: clients, Logger: d.log.With("frontend", "radius"),
		Workers: cfg.RADIUS.Workers, QueueSize: cfg.RADIUS.QueueSize, ReplyTTL: cfg.RADIUS.ReplyTTL.Duration,
		ReplyCacheBytes: cfg.RADIUS.ReplyCacheMiB << 20,
	})
	if err != nil {
		return err
	}
	if d.radConn, err = net.ListenPacket("udp", cfg.RADIUS.Listen); err != nil {
		return fmt.Errorf("radius: %w", err)
	}
	if len(cfg.RADIUS.Clients) == 0 {
		d.log.Warn("radius: no clients configured; every request is dropped until [[radius.client]] sections are added")
	}
	return nil
}

func (d *Daemon) bindHTTP(cfg *config.Config) error {
	if cfg.HTTP.Listen == config.Off {
		return nil
	}
	var err error
	if d.httpLn, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// RADIUSAddr and HTTPAddr return the bound addresses, nil when off.
func (d *Daemon) RADIUSAddr() net.Addr {
	if d.radConn == nil {
		return nil
	}
	return d.radConn.LocalAddr()
}

// HTTPAddr returns the HTTP listener's address, nil when off.
func (d *Daemon) HTTPAddr() net.Addr {
	if d.httpLn == nil {
		return nil
	}
	return d.httpLn.Addr()
}

// Run serves until ctx is done, then drains the requests in flight (at
// most DrainTimeout), closes the store and returns nil. It returns an
// error when a listener fails.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	var wg sync.WaitGroup
	if d.rad != nil {
		wg.Go(func() {
			if err := d.rad.Serve(d.radConn); err != nil && !errors.Is(err, radius.ErrServerClosed) {
				errc <- fmt.Errorf("radius: %w", err)
			}
		})
	}
	var hs *http.Server
	if d.httpLn != nil {
		hs = &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}
		wg.Go(func() {
			if err := hs.Serve(d.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		})
	}
	if d.web != nil {
		wg.Go(func() {
			if err := d.web.Serve(); err != nil {
				errc <- err
			}
		})
	}
	if d.mgmt != nil {
		wg.Go(func() { d.mgmt.Run(ctx) })
	}
	if d.hooks != nil {
		wg.Go(func() { d.hooks.Serve(d.hookLn) })
	}
	wg.Go(func() { d.purge(ctx) })
	bi := buildinfo.Get()
	d.log.Info("otpgate serve: ready", "version", bi.Version, "revision", bi.Revision, "go", bi.GoVersion, "db", site.Redact(d.site.DB), "key", d.keys.current().Fingerprint(), "radius", addrString(d.RADIUSAddr()),
		"http", addrString(d.HTTPAddr()), "web", addrString(d.WebAddr()), "openvpn_management", d.cfg.OpenVPN.Management,
		"openvpn_hook_socket", d.cfg.OpenVPN.HookSocket)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		d.log.Error("otpgate serve: a listener failed; stopping", "err", err)
	}
	d.shutdown(hs)
	cancel()
	wg.Wait()
	d.close()
	return err
}

func (d *Daemon) shutdown(hs *http.Server) {
	d.log.Info("otpgate serve: stopping; draining requests in flight", "timeout", DrainTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	if d.rad != nil {
		if err := d.rad.Shutdown(ctx); err != nil {
			d.log.Warn("radius: requests still in flight at shutdown were abandoned", "err", err)
		}
	}
	if hs != nil {
		hs.Shutdown(ctx)
	}
	if d.web != nil {
		d.web.Shutdown(ctx)
	}
	d.closeHooks() // Serve waits for the hooks in flight
}

func (d *Daemon) close() {
	if d.radConn != nil {
		d.radConn.Close()
	}
	if d.httpLn != nil {
		d.httpLn.Close()
	}
	if d.web != nil {
		d.web.Close()
	}
	closeDirectory(d.dir.Swap(nil))
	d.closeHooks()
	if d.st != nil { // the audit file's tee closes the store it wraps
		if err := d.st.Close(); err != nil {
			d.log.Warn("closing the store", "err", err)
		}
	}
	if d.auditFile != nil {
		d.auditFile.Close()
	}
}

// purge deletes expired challenges and counts of failed logins every
// PurgeInterval (they are ignored anyway, this only keeps the tables small)
// and, when log.audit_retention is set, audit events older than it at start
// and every AuditPruneInterval.
func (d *Daemon) purge(ctx context.Context) {
	t := time.NewTicker(PurgeInterval)
	defer t.Stop()
	d.pruneAudit(ctx)
	lastPrune := d.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.followKey(ctx)
			if _, err := d.st.PurgeChallenges(ctx, d.now()); err != nil && ctx.Err() == nil {
				d.log.Warn("purging expired challenges", "err", err)
			}
			if _, err := d.st.PurgeLoginFailures(ctx, d.now()); err != nil && ctx.Err() == nil {
				d.log.Warn("purging expired counts of failed logins", "err", err)
			}
			d.purgeOOB(ctx)
			d.purgeWeb(ctx)
			if d.now().Sub(lastPrune) >= AuditPruneInterval {
				d.pruneAudit(ctx)
				lastPrune = d.now()
			}
		}
	}
}

// pruneAudit deletes the audit events older than log.audit_retention, if
// it is set, and records how many in the trail.
func (d *Daemon) pruneAudit(ctx context.Context) {
	keep := time.Duration(d.retention.Load())
	if keep <= 0 {
		return
	}
	before := d.now().Add(-keep)
	n, err := d.st.PruneAudit(ctx, before)
	if n > 0 {
		d.log.Info("audit: deleted events older than log.audit_retention", "events", n, "retention", keep.String())
		if aerr := d.st.AppendAudit(ctx, store.PruneEvent(store.ActorServe, n, before, d.now())); aerr != nil && ctx.Err() == nil {
			d.log.Warn("audit: recording the deletion", "err", aerr)
		}
	}
	if err != nil && ctx.Err() == nil {
		d.log.Warn("audit: deleting events older than log.audit_retention", "err", err)
	}
}

// Reload reads a configuration with load and applies its RADIUS clients,
// policy and login settings. What needs a restart (the store, listen
// addresses, the OpenVPN management mode) is compared and reported in the
// log, never half-applied. On error nothing changes. Then [web]'s
// certificate files are read again: a pair that does not load keeps the
// certificate in use, and is counted and returned as a failed reload.
func (d *Daemon) Reload(load func() (*config.Config, error)) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	cfg, err := load()
	if err == nil {
		err = d.reload(cfg)
	}
	if err != nil {
		d.reloadFailures.Add(1)
		d.log.Error("reload failed; the previous configuration stays in force", "err", err)
		return err
	}
	d.reloads.Add(1)
	d.log.Info("reload: configuration applied", "radius_clients", len(cfg.RADIUS.Clients))
	if err := d.reloadCertificate(); err != nil {
		d.reloadFailures.Add(1)
		return err
	}
	return nil
}

func (d *Daemon) reload(cfg *config.Config) error {
	d.loadKey(context.Background())
	svc, dir, err := newService(cfg, d.st, d.keys.current(), d.sender(), d.now)
	if err != nil {
		return err
	}
	var clients *radius.Clients
	if d.rad != nil {
		if clients, err = radiusClients(cfg); err != nil {
			closeDirectory(dir)
			return err
		}
	}
	for _, c := range restartOnly(d.cfg, cfg) {
		d.log.Warn("reload: this setting changes only on restart", "setting", c)
	}
	d.install(svc, dir)
	if d.rad != nil {
		d.rad.SetClients(clients)
	}
	d.retention.Store(int64(cfg.Log.AuditRetention.Duration))
	if d.hooks != nil {
		d.hookParams.Store(hookParams(d.site.DB, cfg))
	}
	d.cfg = cfg
	return nil
}

// restartOnly lists the settings that differ between old and new but are
// only read at start.
func restartOnly(old, new *config.Config) []string {
	var c []string
	if old.DB != new.DB || old.KeyFile != new.KeyFile {
		c = append(c, "db/key_file")
	}
	if old.RADIUS.Listen != new.RADIUS.Listen || old.RADIUS.Workers != new.RADIUS.Workers ||
		old.RADIUS.QueueSize != new.RADIUS.QueueSize || old.RADIUS.ReplyTTL != new.RADIUS.ReplyTTL {
		c = append(c, "radius.listen/workers/queue_size/reply_ttl")
	}
	if old.HTTP.Listen != new.HTTP.Listen {
		c = append(c, "http.listen")
	}
	if old.OpenVPN != new.OpenVPN {
		c = append(c, "openvpn")
	}
	if webChanged(old.Web, new.Web) {
		c = append(c, "web")
	}
	if oobChanged(old, new) {
		c = append(c, "oob")
	}
	if portalChanged(old.Portal, new.Portal) {
		c = append(c, "portal")
	}
	oldLog, newLog := old.Log, new.Log
	oldLog.AuditRetention, newLog.AuditRetention = config.Duration{}, config.Duration{} // reloadable
	if oldLog != newLog {
		c = append(c, "log")
	}
	return c
}

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}
