package daemon

import (
	"context"
	"net"
	"net/http"
	"slices"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/web/api"
	"otpgate.dev/otpgate/internal/web/yubico"
)

// bindWeb binds [web], the HTTPS front end: the JSON API and the Yubico
// validation protocol, over the login service every front end shares.
func (d *Daemon) bindWeb(cfg *config.Config) error {
	if cfg.Web.Listen == config.Off {
		return nil
	}
	log := d.log.With("frontend", "web")
	auth, err := web.NewAuth(d.apiKeys(), cfg.Web.KeyRate(), log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(api.Config{Auth: auth, Service: d.svc, Admin: d.admin, Trail: d.st,
		Issuer: site.ProcessEnv().Issuer(), Now: d.now}))
	mux.Handle(yubico.Path, &yubico.Handler{Clients: yubicoClients{d}, Service: d.svc, Auth: auth, Now: d.now, Log: log})
	if err := d.mountPortal(mux, cfg); err != nil {
		return err
	}
	d.web, err = web.New(cfg.Web.Server(log), mux)
	return err
}

// admin returns the admin functions of the command line, acting for an
// admin API caller, on the daemon's store under the master key and policy
// in use.
func (d *Daemon) admin(actor, source string) api.Admin {
	d.reloadMu.Lock()
	pol := d.cfg.Policy.Engine()
	d.reloadMu.Unlock()
	h := &site.Handle{Store: d.st, Box: d.keys.current()}
	return admin.New(h, pol, d.now).As(store.Actor(actor), source)
}

// apiKeys is the API keys of the store, under the master key in use.
func (d *Daemon) apiKeys() *apikey.Manager { return apikey.New(d.st, d.keys.current(), d.now) }

// yubicoClients opens Yubico clients' keys with the master key in use at
// each request, so that a rekey is followed as logins follow it.
type yubicoClients struct{ d *Daemon }

func (c yubicoClients) YubicoKey(ctx context.Context, id string) ([]byte, error) {
	c.d.followKey(ctx)
	return c.d.apiKeys().YubicoKey(ctx, id)
}

// WebAddr returns the HTTPS front end's address, nil when off.
func (d *Daemon) WebAddr() net.Addr {
	if d.web == nil {
		return nil
	}
	return d.web.Addr()
}

// reloadCertificate reads [web]'s certificate files again; a pair that
// does not load keeps the one in use (package web logs it).
func (d *Daemon) reloadCertificate() error {
	if d.web == nil {
		return nil
	}
	return d.web.ReloadCertificate()
}

// webChanged reports whether [web] differs in what only a restart reads:
// everything but the certificate's contents.
func webChanged(old, new config.Web) bool {
	return !slices.Equal(old.TrustedProxies, new.TrustedProxies) || !slices.Equal(old.CORSOrigins, new.CORSOrigins) ||
		old.Listen != new.Listen || old.CertFile != new.CertFile || old.KeyFile != new.KeyFile || old.MaxBody != new.MaxBody ||
		old.ReadHeaderTimeout != new.ReadHeaderTimeout || old.ReadTimeout != new.ReadTimeout ||
		old.WriteTimeout != new.WriteTimeout || old.IdleTimeout != new.IdleTimeout ||
		old.RatePerSource != new.RatePerSource || old.BurstPerSource != new.BurstPerSource ||
		old.RatePerKey != new.RatePerKey || old.BurstPerKey != new.BurstPerKey
}
