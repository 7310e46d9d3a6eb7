package storetest

import (
	"strconv"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Upgrade checks that a database made by every older schema version of d
// is migrated when a store opens it, and keeps its rows and replay state.
// For each version, build must create a new database, run script in it
// (the migrations up to that version, recorded in schema_migrations, then a
// user, a token whose counter 7 was used and an audit row) and open the
// store on it.
func Upgrade(t *testing.T, d sqlstore.Dialect, build func(t *testing.T, script string) store.Store) {
	ms, err := sqlstore.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	enabled, secret := "1", `x'010203'`
	if d == sqlstore.Postgres {
		enabled, secret = "true", `'\x010203'`
	}
	for v := 1; v < len(ms); v++ {
		t.Run("from"+strconv.Itoa(v), func(t *testing.T) {
			script := `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);`
			for _, m := range ms[:v] {
				script += m.SQL + "\nINSERT INTO schema_migrations VALUES (" + strconv.Itoa(m.Version) + ", '" + m.Name + "', 0);\n"
			}
			script += `INSERT INTO users VALUES ('alice', 1);
INSERT INTO tokens (id, user_name, type, enabled, comment, secret, algorithm, digits, period_ns, t0,
	next_counter, drift, failures, configured_at, created)
	VALUES ('tok', 'alice', 'hotp', ` + enabled + `, '', ` + secret + `, 'SHA1', 6, 0, 0, 8, 0, 0, 1, 1);
INSERT INTO audit (logged_at, actor, action, user_name, token_id, result, reason, source)
	VALUES (1, 'engine', 'verify', 'alice', 'tok', 'success', '', 'radius 192.0.2.1');`
			s := build(t, script)
			if c, err := s.CommitSuccess(ctx(t), success("tok", 8, 0, time.Now())); c != store.Replayed || err != nil {
				t.Errorf("CommitSuccess(8) after the upgrade from version %d = %v, %v; want Replayed (counter 7 was used)", v, c, err)
			}
			if c, err := s.CommitSuccess(ctx(t), success("tok", 9, 0, time.Now())); c != store.Committed || err != nil {
				t.Errorf("CommitSuccess(9) after the upgrade from version %d = %v, %v; want Committed", v, c, err)
			}
			es, err := s.Audit(ctx(t), store.AuditFilter{User: "alice"})
			if err != nil || len(es) != 2 || es[1].Source != "radius 192.0.2.1" {
				t.Errorf("Audit(alice) after the upgrade from version %d = %+v, %v; want the old event and the success's", v, es, err)
			}
		})
	}
}
