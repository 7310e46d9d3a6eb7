package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/daemon"
	"otpgate.dev/otpgate/internal/site"
)

const serveUsage = `Usage:
    otpgate serve [--config FILE] [options]

Runs the otpgate daemon: a RADIUS server for ocserv, strongSwan and other
VPN servers, the OpenVPN management-interface mode, and an HTTP listener
with /healthz, /readyz and Prometheus /metrics. With no configuration it
uses the embedded SQLite store in the data directory and listens on
loopback only (RADIUS 127.0.0.1:1812, HTTP 127.0.0.1:9812); RADIUS
answers nobody until a [[radius.client]] is configured.

SIGHUP reloads the configuration file (RADIUS clients, policy, password
backend); SIGTERM and SIGINT drain the requests in flight and stop. A
master key file replaced by otpgate rekey is followed without a signal.

Options:
    --config FILE        TOML configuration (default $OTPGATE_CONFIG, else
                         /etc/otpgate/otpgate.toml when it exists); see docs/serve.md
    --db PATH|URL        store, overriding the file's db (default $OTPGATE_DB,
                         else the data directory's otpgate.db)
    --radius-listen ADDR RADIUS host:port, or "off"
    --http-listen ADDR   health and metrics host:port, or "off"
    --log-level LEVEL    debug, info, warn or error
    --log-format FORMAT  text or json
    --check              open everything serve would (store, master key, secret
                         and password files, audit directory), creating and
                         binding nothing; print the warnings and exit

Examples:
    otpgate serve
    otpgate serve --config /etc/otpgate/otpgate.toml
    otpgate serve --check --config /etc/otpgate/otpgate.toml
`

func init() {
	register(&command{name: "serve", short: "run the daemon: RADIUS, OpenVPN management mode, health and metrics", usage: serveUsage, run: runServe})
}

type serveFlags struct {
	config, db, radiusListen, httpListen, logLevel, logFormat string
	check                                                     bool
}

func parseServeFlags(args []string) (*serveFlags, error) {
	f := &serveFlags{}
	fs := newFlags("serve")
	fs.StringVar(&f.config, "config", "", "")
	fs.StringVar(&f.db, "db", "", "")
	fs.StringVar(&f.radiusListen, "radius-listen", "", "")
	fs.StringVar(&f.httpListen, "http-listen", "", "")
	fs.StringVar(&f.logLevel, "log-level", "", "")
	fs.StringVar(&f.logFormat, "log-format", "", "")
	fs.BoolVar(&f.check, "check", false, "")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return nil, err
	}
	return f, nil
}

// find reads the configuration and applies the flags and environment over
// it; the flags win.
func (f *serveFlags) find(e *env) (*site.Site, error) {
	apply := func(c *config.Config) {
		for _, o := range []struct {
			dst *string
			v   string
		}{
			{&c.RADIUS.Listen, f.radiusListen}, {&c.HTTP.Listen, f.httpListen},
			{&c.Log.Level, f.logLevel}, {&c.Log.Format, f.logFormat},
		} {
			if o.v != "" {
				*o.dst = o.v
			}
		}
	}
	return site.Find(e.siteEnv(), site.Flags{Config: f.config, DB: f.db, Apply: apply})
}

func runServe(e *env, args []string) error {
	f, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	s, err := f.find(e)
	if err != nil {
		return err
	}
	if f.check {
		return checkServe(e, s)
	}
	log := newLogger(e, s.Config)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := daemon.New(ctx, s, daemon.Options{Logger: log, Now: e.now})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(ctx, e, f, d, hup, log)
	return d.Run(ctx)
}

// checkServe opens what serve would, prints what serve would create and
// warn about, and says the configuration is valid.
func checkServe(e *env, s *site.Site) error {
	created, warnings, err := daemon.Check(context.Background(), s)
	if err != nil {
		return siteHint(err)
	}
	for _, c := range created {
		fmt.Fprintf(e.stderr, "otpgate: serve will create %s\n", c)
	}
	for _, w := range warnings {
		e.warnf("%s", w)
	}
	fmt.Fprintln(e.stdout, "otpgate: configuration is valid")
	return nil
}

func reloadOnHUP(ctx context.Context, e *env, f *serveFlags, d *daemon.Daemon, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			d.Reload(func() (*config.Config, error) {
				s, err := f.find(e)
				if err != nil {
					return nil, err
				}
				return s.Config, nil
			})
		}
	}
}

func newLogger(e *env, c *config.Config) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}
