package daemon

import (
	"net"
	"os"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/openvpn/handoff"
	"otpgate.dev/otpgate/internal/site"
)

// bindHooks creates openvpn.hook_socket, where the OpenVPN script hooks
// hand their logins to this daemon instead of opening the store.
func (d *Daemon) bindHooks(cfg *config.Config) error {
	if cfg.OpenVPN.HookSocket == "" {
		return nil
	}
	ln, err := handoff.Listen(cfg.OpenVPN.HookSocket, cfg.OpenVPN.HookSocketGroup)
	if err != nil {
		return err
	}
	d.hookLn = ln
	d.hookParams.Store(hookParams(d.site.DB, cfg))
	d.hooks = &handoff.Server{Service: d.svc, Params: func() handoff.Params { return *d.hookParams.Load() },
		SameDB: sameDB, Log: d.log.With("frontend", "openvpn-hooks")}
	return nil
}

// hookParams are the settings a hook must share with the daemon for its
// login to be decided here.
func hookParams(db string, cfg *config.Config) *handoff.Params {
	return &handoff.Params{DB: db, Primary: cfg.Auth.Primary, ChallengeTTL: cfg.Auth.ChallengeTimeout.Duration, Prompt: cfg.Auth.ChallengeText}
}

// sameDB says whether the hook's store is the daemon's: the same file, or
// the same database URL.
func sameDB(daemon, hook string) bool {
	if site.IsURL(daemon) || site.IsURL(hook) {
		return daemon == hook
	}
	a, err := os.Stat(daemon)
	if err != nil {
		return false
	}
	b, err := os.Stat(hook)
	return err == nil && os.SameFile(a, b)
}

// closeHooks stops taking hooks' logins and removes the socket; the
// hooks that find it gone open the store themselves.
func (d *Daemon) closeHooks() {
	if d.hookLn == nil {
		return
	}
	if ul, ok := d.hookLn.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	d.hookLn.Close()
}
