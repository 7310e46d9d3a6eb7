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
backend); SIGTERM and SIGINT drain the requests in flight and stop.

Options:
    --config FILE        TOML configuration (default $OTPGATE_CONFIG, else
                         /etc/otpgate/otpgate.toml when it exists); see docs/serve.md
    --db PATH|URL        store, overriding the file's db (default $OTPGATE_DB,
                         else the data directory's otpgate.db)
    --radius-listen ADDR RADIUS host:port, or "off"
    --http-listen ADDR   health and metrics host:port, or "off"
    --log-level LEVEL    debug, info, warn or error
    --log-format FORMAT  text or json
    --check              check the configuration and exit

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

// load reads the configuration and applies the flags and environment over
// it; the flags win.
func (f *serveFlags) load(e *env) (*config.Config, error) {
	c, err := loadConfig(e, f.config, f.db)
	if err != nil {
		return nil, err
	}
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
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func runServe(e *env, args []string) error {
	f, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	cfg, err := f.load(e)
	if err != nil {
		return err
	}
	if f.check {
		fmt.Fprintln(e.stdout, "otpgate: configuration is valid")
		return nil
	}
	log := newLogger(e, cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := daemon.New(ctx, cfg, daemon.Options{Logger: log, Now: e.now})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(ctx, e, f, d, hup, log)
	return d.Run(ctx)
}

func reloadOnHUP(ctx context.Context, e *env, f *serveFlags, d *daemon.Daemon, hup <-chan os.Signal, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			d.Reload(func() (*config.Config, error) { return f.load(e) })
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
