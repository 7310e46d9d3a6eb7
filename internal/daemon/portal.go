package daemon

import (
	"context"
	"net/http"
	"reflect"
	"slices"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/web/portal"
)

// mountPortal puts the portal and console at the root of [web]'s
// listener, when [portal] enables them: the API's paths stay the API's.
func (d *Daemon) mountPortal(mux *http.ServeMux, cfg *config.Config) error {
	if !cfg.Portal.Enabled {
		return nil
	}
	spec, err := primary.ParseSpec(cfg.Auth.Primary)
	if err != nil {
		return err
	}
	public, err := cfg.Portal.URL()
	if err != nil {
		return err
	}
	d.portal = portal.New(portal.Config{
		Store: d.st, Box: func() *secretbox.Box { return d.keys.current() }, Service: d.svc,
		Admin:   func(actor, source string) portal.Admin { return d.admin(actor, source) },
		IsAdmin: d.isAdmin, SelfEnroll: cfg.Portal.Policy(), FirstFactor: spec.Kind != primary.KindNone,
		Issuer: site.ProcessEnv().Issuer(), PublicURL: public, Idle: cfg.Portal.SessionIdle.Duration,
		Lifetime: cfg.Portal.SessionLifetime.Duration, InviteTTL: cfg.Portal.InviteLifetime.Duration,
		Now: d.now, Log: d.log.With("frontend", "web"),
	})
	mux.Handle("/", d.portal)
	return nil
}

// isAdmin says whether user is in [portal] admins, as the configuration
// in use (a reload may change it) says.
func (d *Daemon) isAdmin(_ context.Context, user string) (bool, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	return slices.Contains(d.cfg.Portal.Admins, user), nil
}

// purgeWeb deletes the portal's ended sessions and invitations.
func (d *Daemon) purgeWeb(ctx context.Context) {
	if d.portal == nil {
		return
	}
	if _, err := d.portal.Purge(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("purging ended portal sessions", "err", err)
	}
}

// portalChanged reports whether [portal] differs in what only a restart
// reads: everything but admins, which a reload applies.
func portalChanged(old, new config.Portal) bool {
	old.Admins, new.Admins = nil, nil
	return !reflect.DeepEqual(old, new)
}
