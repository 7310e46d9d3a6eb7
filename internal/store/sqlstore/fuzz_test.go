package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver of the store the rows come from

	"otpgate.dev/otpgate/internal/otp"
)

// rowsDB is an in-memory SQLite database with the store's schema, to read
// fuzzed rows back through the driver as the stores do.
func rowsDB(f *testing.F) *sql.DB {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		f.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	f.Cleanup(func() { db.Close() })
	if err := Migrate(context.Background(), db, SQLite); err != nil {
		f.Fatal(err)
	}
	return db
}

// stored is n as a time column reads back: FromNanos then Nanos, which
// clamps only the one value below the range.
func stored(n int64) int64 { return max(n, math.MinInt64+1) }

// FuzzScanToken stores a tokens row of any values the schema admits (a
// damaged or hostile database) and reads it with ScanToken: it never
// panics, refuses an unknown algorithm or an enabled that is no boolean,
// and otherwise gives back every column.
func FuzzScanToken(f *testing.F) {
	db := rowsDB(f)
	f.Add("id", "alice", "totp", int64(1), "", []byte("sealed"), "SHA1", int64(6), int64(30e9), int64(0),
		"", []byte(nil), int64(0), int64(0), int64(0), int64(0), int64(0), int64(1), int64(1), "Example VPN")
	f.Add("x", "", "hotp", int64(-5), "\x00", []byte{}, "sha512", int64(-1), int64(math.MinInt64), int64(math.MaxInt64),
		"ident", []byte{1}, int64(math.MaxInt64), int64(-1), int64(math.MinInt32), int64(math.MaxInt64), int64(math.MinInt64), int64(math.MinInt64), int64(math.MaxInt64), "")
	f.Fuzz(func(t *testing.T, id, user, typ string, enabled int64, comment string, secret []byte, alg string,
		digits, period, t0 int64, ident string, privateID []byte, next, drift, failures, locked, check, configured, created int64, issuer string) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `DELETE FROM tokens`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO users (name, created) VALUES ($1, 0)`, user); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, InsertToken, id, user, typ, enabled, comment, nonNil(secret), alg, digits, period, t0,
			nullString(ident), nullBytes(privateID), next, drift, failures, locked, check, check, configured, created, issuer)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		tok, err := ScanToken(db.QueryRowContext(ctx, SelectToken, id))
		if _, aerr := otp.ParseAlgorithm(alg); aerr != nil {
			if err == nil {
				t.Fatalf("ScanToken with algorithm %q = nil error; want a refusal", alg)
			}
			return
		}
		if enabled != 0 && enabled != 1 { // database/sql reads only 0 and 1 as a bool
			if err == nil {
				t.Fatalf("ScanToken with enabled = %d = nil error; want a refusal", enabled)
			}
			return
		}
		if err != nil {
			t.Fatalf("ScanToken = %v", err)
		}
		if tok.ID != id || tok.User != user || string(tok.Type) != typ || tok.Enabled != (enabled != 0) || tok.Comment != comment ||
			string(tok.Secret) != string(secret) || tok.Identifier != ident || string(tok.PrivateID) != string(privateID) ||
			tok.Next != next || tok.Drift != drift || int64(tok.Failures) != failures || tok.Issuer != issuer ||
			int64(tok.Params.Digits) != digits || int64(tok.Params.Period) != period || tok.Params.T0 != t0 {
			t.Fatalf("ScanToken read back %+v", tok)
		}
		for _, c := range []struct {
			got  time.Time
			want int64
		}{{tok.LockedUntil, locked}, {tok.LastCheck, check}, {tok.LastSuccess, check}, {tok.ConfiguredAt, configured}, {tok.Created, created}} {
			if Nanos(c.got) != stored(c.want) {
				t.Fatalf("time column %d read back as %v (%d)", c.want, c.got, Nanos(c.got))
			}
		}
	})
}

// FuzzScanAudit does the same for the audit trail's rows.
func FuzzScanAudit(f *testing.F) {
	db := rowsDB(f)
	f.Add(int64(1), "radius", "verify", "alice", "TOK", "ok", "", "10.0.0.1")
	f.Add(int64(math.MinInt64), "", "\xff", "\u2028", "", "x", "y", "")
	f.Fuzz(func(t *testing.T, at int64, actor, action, user, tok, result, reason, source string) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `DELETE FROM audit`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO audit (`+AuditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			at, actor, action, user, tok, result, reason, source); err != nil {
			t.Fatal(err)
		}
		e, err := ScanAudit(db.QueryRowContext(ctx, `SELECT `+AuditRead+` FROM audit`))
		if err != nil || e.Seq <= 0 || Nanos(e.Time) != stored(at) || string(e.Actor) != actor || string(e.Action) != action ||
			e.User != user || e.TokenID != tok || string(e.Result) != result || e.Reason != reason || e.Source != source {
			t.Fatalf("ScanAudit read back %+v, %v", e, err)
		}
	})
}

// FuzzScanChallenge does the same for pending challenges.
func FuzzScanChallenge(f *testing.F) {
	db := rowsDB(f)
	f.Add("ch", "alice", "radius", []byte{1, 2}, int64(10), int64(5))
	f.Add("", "", "", []byte(nil), int64(math.MaxInt64), int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, id, user, kind string, data []byte, expires, created int64) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `DELETE FROM challenges`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, InsertChallenge, id, user, kind, nonNil(data), expires, created); err != nil {
			t.Fatal(err)
		}
		c, err := ScanChallenge(db.QueryRowContext(ctx, `SELECT `+ChallengeColumns+` FROM challenges`))
		if err != nil || c.ID != id || c.User != user || c.Kind != kind || string(c.Data) != string(data) ||
			Nanos(c.Expires) != stored(expires) || Nanos(c.Created) != stored(created) {
			t.Fatalf("ScanChallenge read back %+v, %v", c, err)
		}
	})
}
