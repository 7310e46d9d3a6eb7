package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// TestUpgradeFromEveryVersion builds a database at each older schema version
// with Debian's sqlite3 shell, holding a user, a token with a used counter and
// an audit row, and opens it: the store must migrate it to the latest version
// and keep every row and the replay state.
func TestUpgradeFromEveryVersion(t *testing.T) {
	ms, err := sqlstore.Migrations(sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for v := 1; v < len(ms); v++ {
		t.Run("from"+strconv.Itoa(v), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			script := `PRAGMA journal_mode=WAL;
CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);`
			for _, m := range ms[:v] {
				script += m.SQL + "\nINSERT INTO schema_migrations VALUES (" + strconv.Itoa(m.Version) + ", '" + m.Name + "', 0);\n"
			}
			script += `INSERT INTO users VALUES ('alice', 1);
INSERT INTO tokens (id, user_name, type, enabled, comment, secret, algorithm, digits, period_ns, t0,
	next_counter, drift, failures, configured_at, created)
	VALUES ('tok', 'alice', 'hotp', 1, '', x'010203', 'SHA1', 6, 0, 0, 8, 0, 0, 1, 1);
INSERT INTO audit (logged_at, actor, action, user_name, token_id, result, reason, source)
	VALUES (1, 'engine', 'verify', 'alice', 'tok', 'success', '', 'radius 192.0.2.1');`
			shell(t, path, script)
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatal(err)
			}

			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open(database at version %d) = %v", v, err)
			}
			defer s.Close()
			if got := shell(t, path, "SELECT MAX(version) FROM schema_migrations"); got != strconv.Itoa(len(ms)) {
				t.Errorf("schema version after Open = %s; want %d", got, len(ms))
			}
			ctx := context.Background()
			if ok, err := s.CommitSuccess(ctx, "tok", 8, 0, time.Now()); ok || err != nil {
				t.Errorf("CommitSuccess(8) after the upgrade = %v, %v; want false (counter 7 was used)", ok, err)
			}
			if ok, err := s.CommitSuccess(ctx, "tok", 9, 0, time.Now()); !ok || err != nil {
				t.Errorf("CommitSuccess(9) after the upgrade = %v, %v; want true", ok, err)
			}
			es, err := s.Audit(ctx, store.AuditFilter{User: "alice"})
			if err != nil || len(es) != 1 || es[0].Source != "radius 192.0.2.1" {
				t.Errorf("Audit(alice) after the upgrade = %+v, %v; want the one old event", es, err)
			}
		})
	}
}
