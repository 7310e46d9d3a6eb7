package daemon

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"otpgate.dev/otpgate/internal/buildinfo"
	"otpgate.dev/otpgate/internal/metrics"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// healthTimeout bounds the store probe of /readyz.
const healthTimeout = 2 * time.Second

// handler serves:
//
//	/healthz  200 while the process runs
//	/readyz   200 when the store answers and the master key opens a
//	          sealed secret of it, 503 otherwise
//	/metrics  the Prometheus text format
func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.ready)
	mux.HandleFunc("GET /metrics", d.metrics)
	return mux
}

func (d *Daemon) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	// Any answer from the store, even "no such user", shows it works; no
	// user has the empty name (enrollment refuses it).
	if _, err := d.st.User(ctx, ""); err != nil && !errors.Is(err, store.ErrNotFound) {
		d.log.Warn("readiness probe: store unavailable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unavailable\n"))
		return
	}
	d.followKey(ctx)
	if err := site.CheckKey(ctx, d.st, d.keys.current()); err != nil {
		d.log.Warn("readiness probe: the master key does not open the store's secrets", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("master key does not open the store's secrets\n"))
		return
	}
	if err := d.pingDirectory(ctx); err != nil {
		d.log.Warn("readiness probe: directory unavailable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("directory unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (d *Daemon) metrics(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	mw := metrics.NewWriter(&b)
	bi := buildinfo.Get()
	mw.Info("otpgate_build_info", "The running otpgate: version, VCS revision and Go version.",
		metrics.Label{Name: "version", Value: bi.Version}, metrics.Label{Name: "revision", Value: bi.Revision},
		metrics.Label{Name: "goversion", Value: bi.GoVersion})
	d.lm.writeTo(mw)
	if d.rad != nil {
		writeRADIUS(mw, d.rad.Metrics())
	}
	mw.Counter("otpgate_reloads_total", "Configuration reloads, by result.", "result", map[string]uint64{
		"ok": d.reloads.Load(), "failed": d.reloadFailures.Load(),
	})
	if d.oob != nil {
		d.oob.WriteMetrics(mw)
	}
	if d.audit != nil {
		mw.Counter("otpgate_audit_lines_dropped_total", "Audit events stored but not copied to log.audit_file.", "", map[string]uint64{"": d.audit.Dropped()})
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
}
