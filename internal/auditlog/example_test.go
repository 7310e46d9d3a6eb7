package auditlog_test

import (
	"context"
	"os"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/store"
)

func ExampleTee() {
	var st store.Store = &memStore{}   // in otpgate: the SQLite or PostgreSQL store
	log := auditlog.Tee(st, os.Stdout) // in otpgate: a file from auditlog.OpenFile
	log.AppendAudit(context.Background(), store.AuditEvent{
		Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Actor: "radius", Action: "verify",
		User: "alice", TokenID: "HZ3V7Q2MRN4XK5YJ", Result: "fail", Reason: "wrong code", Source: "192.0.2.1",
	})
	log.Close() // writes what is queued
	// Output:
	// {"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify","user":"alice","token":"HZ3V7Q2MRN4XK5YJ","result":"fail","reason":"wrong code","source":"192.0.2.1"}
}
