package daemon

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/config"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// With log.audit_retention set the daemon deletes the older events and
// records the deletion; a reload changes the retention without a restart.
func TestAuditRetention(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB, cfg.KeyFile = filepath.Join(dir, "otpgate.db"), filepath.Join(dir, "master.key")
	cfg.RADIUS.Listen, cfg.HTTP.Listen = config.Off, config.Off
	cfg.Log.AuditRetention = config.Duration{Duration: 48 * time.Hour}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d, err := New(t.Context(), &site.Site{Config: cfg, DB: cfg.DB, KeyFile: cfg.KeyFile}, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	ctx := context.Background()
	for _, age := range []time.Duration{72 * time.Hour, 49 * time.Hour, 47 * time.Hour, time.Hour} {
		e := store.AuditEvent{Time: now.Add(-age), Actor: "radius", Action: "verify", User: "alice", Result: "ok"}
		if err := d.st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	d.pruneAudit(ctx)
	got := trail(t, d)
	if len(got) != 3 || got[0].Action != "prune-audit" || !strings.HasPrefix(got[0].Reason, "2 events logged before 2026-11-21T12:00:00Z") ||
		!got[2].Time.Equal(now.Add(-47*time.Hour)) {
		t.Fatalf("trail after pruning = %+v; want the deletion of 2 and the 2 younger events", got)
	}

	shorter := *cfg
	shorter.Log.AuditRetention = config.Duration{Duration: 2 * time.Hour}
	if c := restartOnly(cfg, &shorter); len(c) != 0 {
		t.Errorf("restartOnly(a new log.audit_retention) = %v; want nothing: it is reloadable", c)
	}
	if err := d.Reload(func() (*config.Config, error) { return &shorter, nil }); err != nil {
		t.Fatal(err)
	}
	d.pruneAudit(ctx)
	if got := trail(t, d); len(got) != 3 || got[0].Action != "prune-audit" || !strings.HasPrefix(got[0].Reason, "1 events") ||
		got[1].Action != "prune-audit" || !got[2].Time.Equal(now.Add(-time.Hour)) {
		t.Errorf("trail after a reload to 2h = %+v; want the 47h event gone too", got)
	}

	off := shorter
	off.Log.AuditRetention = config.Duration{}
	if err := d.Reload(func() (*config.Config, error) { return &off, nil }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	d.pruneAudit(ctx)
	if got := trail(t, d); len(got) != 3 {
		t.Errorf("trail with retention off = %+v; want it unchanged", got)
	}
}

func trail(t *testing.T, d *Daemon) []store.AuditEvent {
	t.Helper()
	es, err := d.st.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}
