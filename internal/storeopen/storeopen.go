// Package storeopen opens the store a database name designates: a
// postgres:// or postgresql:// URL is PostgreSQL (package pgstore),
// anything else is a SQLite file (package sqlite). Every command and the
// daemon open their store through [Open], so that both work everywhere.
package storeopen

import (
	"context"

	"otpgate.dev/otpgate/internal/datadir"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

// Open opens db and migrates it to the schema this binary knows.
func Open(ctx context.Context, db string) (store.Store, error) {
	if datadir.IsURL(db) {
		return openPostgres(ctx, db)
	}
	return sqlite.Open(ctx, db)
}
