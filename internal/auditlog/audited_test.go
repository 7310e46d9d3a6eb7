package auditlog_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// plainStore hides the SQLite store's one-write methods, as a store without
// them (PostgreSQL) would.
type plainStore struct{ store.Store }

// The engine's successes, refusals and lockouts reach the file as exactly
// the rows the store kept, whether the store records an outcome and its
// event in one write (SQLite) or in two.
func TestLinesMatchTheTable(t *testing.T) {
	for _, oneWrite := range []bool{true, false} {
		name := map[bool]string{true: "one write", false: "two writes"}[oneWrite]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			box, err := secretbox.LoadOrCreate(filepath.Join(dir, "master.key"))
			if err != nil {
				t.Fatal(err)
			}
			sq, err := sqlite.Open(ctx, filepath.Join(dir, "otpgate.db"))
			if err != nil {
				t.Fatal(err)
			}
			var inner store.Store = sq
			if !oneWrite {
				inner = plainStore{sq}
			}
			var w syncBuffer
			log := auditlog.Tee(inner, &w)
			if _, isAW := any(log).(store.AuditedWriter); !isAW {
				t.Fatal("a Log is not a store.AuditedWriter: the engine would write two transactions")
			}
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			pol := engine.DefaultPolicy()
			pol.MaxFailures = 1
			eng := engine.New(log, box, pol, func() time.Time { return now })
			key := []byte("12345678901234567890")
			if _, err := enroll.Enroll(ctx, log, box, enroll.Spec{User: "alice", Type: store.HOTP, Secret: key}, now); err != nil {
				t.Fatal(err)
			}
			p := otp.DefaultParams()
			for _, tt := range []struct {
				code string
				ok   bool
			}{
				{otp.Generate(key, 0, p), true}, {otp.Generate(key, 0, p), false}, {"000000", false},
				{"111111", false}, {otp.Generate(key, 1, p), false}, // locked
			} {
				res, err := eng.Verify(ctx, engine.Request{User: "alice", Code: tt.code, Source: "192.0.2.9", Actor: "radius"})
				if err != nil || res.OK != tt.ok {
					t.Fatalf("Verify = %+v, %v; want OK %v", res, err, tt.ok)
				}
			}
			rows, err := sq.Audit(ctx, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			var want []auditlog.Line
			for _, e := range slices.Backward(rows) {
				want = append(want, auditlog.NewLine(e))
			}
			got := lines(t, w.String())
			if len(want) != 5 || !slices.Equal(got, want) { // ok, replay, fail and now locked, locked, locked
				t.Errorf("lines:\n%+v\nwant the table's rows:\n%+v", got, want)
			}
		})
	}
}
