package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// schemaLock is the advisory lock key that serializes migrations: "otpgate"
// in ASCII. Only otpgate should take it in an otpgate database.
const schemaLock int64 = 0x6f_74_70_67_61_74_65

// migrationTimeout replaces the statement timeout for the migration's own
// connection: waiting for another node's migration, or a migration of a
// large table, may take longer than any login statement.
const migrationTimeout = "5min"

// migrate brings the schema up to date on a connection of its own, holding
// the advisory lock. The lock is a session lock: closing the connection
// releases it, however migrate ends.
func (s *Store) migrate(ctx context.Context, cfg *pgxpool.Config) error {
	cc := cfg.ConnConfig.Copy()
	cc.RuntimeParams["statement_timeout"] = migrationTimeout
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, schemaLock); err != nil {
		return fmt.Errorf("take the schema lock: %w", err)
	}
	if err := sqlstore.Migrate(ctx, conn, sqlstore.Postgres); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, schemaLock); err != nil {
		return fmt.Errorf("release the schema lock: %w", err)
	}
	return nil
}
