package pgstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestUpgradeFromEveryVersion builds a database at each older schema version
// on the real PostgreSQL, holding a user, a token with a used counter and an
// audit row, and opens it: the store must migrate it to the latest version
// and keep every row and the replay state.
func TestUpgradeFromEveryVersion(t *testing.T) {
	ms, err := sqlstore.Migrations(sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	for v := 1; v < len(ms); v++ {
		t.Run("from"+strconv.Itoa(v), func(t *testing.T) {
			u := testpeer.Postgres(t)
			script := `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);`
			for _, m := range ms[:v] {
				script += m.SQL + "\nINSERT INTO schema_migrations VALUES (" + strconv.Itoa(m.Version) + ", '" + m.Name + "', 0);\n"
			}
			script += `INSERT INTO users VALUES ('alice', 1);
INSERT INTO tokens (id, user_name, type, enabled, comment, secret, algorithm, digits, period_ns, t0,
	next_counter, drift, failures, configured_at, created)
	VALUES ('tok', 'alice', 'hotp', true, '', '\x010203', 'SHA1', 6, 0, 0, 8, 0, 0, 1, 1);
INSERT INTO audit (logged_at, actor, action, user_name, token_id, result, reason, source)
	VALUES (1, 'engine', 'verify', 'alice', 'tok', 'success', '', 'radius 192.0.2.1');`
			conn, err := pgx.Connect(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(t.Context(), script); err != nil {
				t.Fatalf("building a version %d database: %v", v, err)
			}
			conn.Close(t.Context())

			s := openURL(t, u)
			if got := schemaVersions(t, s); len(got) != len(ms) {
				t.Errorf("schema versions after Open = %v; want 1..%d", got, len(ms))
			}
			if ok, err := s.CommitSuccess(t.Context(), "tok", 8, 0, time.Now()); ok || err != nil {
				t.Errorf("CommitSuccess(8) after the upgrade = %v, %v; want false (counter 7 was used)", ok, err)
			}
			if ok, err := s.CommitSuccess(t.Context(), "tok", 9, 0, time.Now()); !ok || err != nil {
				t.Errorf("CommitSuccess(9) after the upgrade = %v, %v; want true", ok, err)
			}
			es, err := s.Audit(t.Context(), store.AuditFilter{User: "alice"})
			if err != nil || len(es) != 1 || es[0].Source != "radius 192.0.2.1" {
				t.Errorf("Audit(alice) after the upgrade = %+v, %v; want the one old event", es, err)
			}
		})
	}
}
