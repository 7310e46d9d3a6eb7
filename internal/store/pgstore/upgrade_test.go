package pgstore

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/store/storetest"
	"otpgate.dev/otpgate/internal/testpeer"
)

// A database made at each older schema version on the real PostgreSQL is
// migrated by Open and keeps its rows and replay state.
func TestUpgradeFromEveryVersion(t *testing.T) {
	storetest.Upgrade(t, sqlstore.Postgres, func(t *testing.T, script string) store.Store {
		u := testpeer.Postgres(t)
		conn, err := pgx.Connect(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(t.Context(), script); err != nil {
			t.Fatalf("building an older database: %v", err)
		}
		conn.Close(t.Context())
		s := openURL(t, u)
		if got := schemaVersions(t, s); len(got) != sqlstore.Latest(sqlstore.Postgres) {
			t.Errorf("schema versions after Open = %v; want 1..%d", got, sqlstore.Latest(sqlstore.Postgres))
		}
		return s
	})
}
