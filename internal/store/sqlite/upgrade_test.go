package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/store/storetest"
)

// A database made at each older schema version by Debian's sqlite3 shell
// is migrated by Open and keeps its rows and replay state.
func TestUpgradeFromEveryVersion(t *testing.T) {
	storetest.Upgrade(t, sqlstore.SQLite, func(t *testing.T, script string) store.Store {
		path := filepath.Join(t.TempDir(), "old.db")
		shell(t, path, "PRAGMA journal_mode=WAL;\n"+script)
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open(an older database) = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if got, want := shell(t, path, "SELECT MAX(version) FROM schema_migrations"), strconv.Itoa(sqlstore.Latest(sqlstore.SQLite)); got != want {
			t.Errorf("schema version after Open = %s; want %s", got, want)
		}
		return s
	})
}
