package auditlog_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

func ExampleTee() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "auditlog-example-")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
	if err != nil {
		log.Fatal(err)
	}
	f, err := auditlog.OpenFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	l, err := auditlog.Tee(ctx, st, f)
	if err != nil {
		log.Fatal(err)
	}
	l.AppendAudit(ctx, store.AuditEvent{
		Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Actor: store.ActorRADIUS, Action: store.ActionVerify,
		User: "alice", TokenID: "HZ3V7Q2MRN4XK5YJ", Result: store.ResultFail, Reason: "wrong code", Source: "192.0.2.1",
	})
	l.Close() // copies what the store holds, then closes it
	b, _ := os.ReadFile(f.Name())
	fmt.Print(string(b))
	// Output:
	// {"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify","user":"alice","token":"HZ3V7Q2MRN4XK5YJ","result":"fail","reason":"wrong code","source":"192.0.2.1","seq":1}
}
