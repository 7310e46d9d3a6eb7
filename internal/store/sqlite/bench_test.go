package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"otpgate.dev/otpgate/internal/store/storetest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

func benchTokenID(i int) string { return fmt.Sprintf("tok%08d", i) }

// fillDB writes n users with one TOTP token each in one transaction, with
// Next far below any value the benchmarks commit.
func fillDB(tb testing.TB, path string, n int) {
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	users, err := tx.Prepare(sqlstore.InsertUser)
	if err != nil {
		tb.Fatal(err)
	}
	tokens, err := tx.Prepare(sqlstore.InsertToken)
	if err != nil {
		tb.Fatal(err)
	}
	created := time.Now()
	secret := make([]byte, 57) // the size of a sealed 20-byte seed
	for i := range n {
		user := fmt.Sprintf("user%08d", i)
		if _, err := users.Exec(user, created.UnixNano()); err != nil {
			tb.Fatal(err)
		}
		t := &store.Token{ID: benchTokenID(i), User: user, Type: store.TOTP, Enabled: true,
			Secret: secret, Params: otp.DefaultParams(), ConfiguredAt: created, Created: created}
		if _, err := tokens.Exec(sqlstore.TokenArgs(t)...); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// benchDBs builds each size's database once per benchmark function.
func benchDBs(b *testing.B) func(n int) string {
	dir := b.TempDir()
	var mu sync.Mutex
	made := map[int]string{}
	return func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		if p, ok := made[n]; ok {
			return p
		}
		p := filepath.Join(dir, fmt.Sprintf("%d.db", n))
		start := time.Now()
		fillDB(b, p, n)
		b.Logf("filled %d tokens in %v", n, time.Since(start).Round(time.Millisecond))
		made[n] = p
		return p
	}
}

// BenchmarkCommitSuccessParallel: storetest.BenchCommitSuccess.
func BenchmarkCommitSuccessParallel(b *testing.B) {
	storetest.BenchBySize(b, benchStores(b), benchTokenID, storetest.BenchCommitSuccess)
}

// BenchmarkLoginParallel: storetest.BenchLogin.
func BenchmarkLoginParallel(b *testing.B) {
	storetest.BenchBySize(b, benchStores(b), benchTokenID, storetest.BenchLogin)
}

// benchStores opens a store on a database of n tokens, made once per run.
func benchStores(b *testing.B) func(b *testing.B, n int) store.Store {
	db := benchDBs(b)
	return func(b *testing.B, n int) store.Store {
		s, err := Open(context.Background(), db(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
}
