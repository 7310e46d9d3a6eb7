package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"otpgate.dev/otpgate/internal/store/storetest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
	"otpgate.dev/otpgate/internal/testpeer"
)

// The benchmarks mirror store/sqlite's, on a cluster as durable as the
// SQLite store (fsync, synchronous_commit), so that the figures compare.
// OTPGATE_BENCH_POSTGRES names a database to use instead: they empty it
// (TRUNCATE) and fill it.

var durable = []string{"fsync=on", "synchronous_commit=on", "full_page_writes=on", "shared_buffers=128MB"}

func benchTokenID(i int) string { return fmt.Sprintf("tok%08d", i) }

// benchDBs builds each size's database once per benchmark function.
func benchDBs(b *testing.B) func(n int) string {
	var (
		mu      sync.Mutex
		made    = map[int]string{}
		cluster *testpeer.PostgresCluster
	)
	return func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		if u, ok := made[n]; ok {
			return u
		}
		u := os.Getenv("OTPGATE_BENCH_POSTGRES")
		if u == "" {
			if cluster == nil {
				cluster = testpeer.NewPostgres(b, durable...)
			}
			u = cluster.NewDB(b)
		}
		start := time.Now()
		fillDB(b, u, n)
		b.Logf("filled %d tokens in %v", n, time.Since(start).Round(time.Millisecond))
		made[n] = u
		return u
	}
}

// fillDB writes n users with one TOTP token each with COPY, with Next far
// below any value the benchmarks commit. A million rows take longer than
// the store's statement timeout, which this connection lifts.
func fillDB(tb testing.TB, u string, n int) {
	ctx := context.Background()
	pu, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	q := pu.Query()
	q.Set("statement_timeout", "0")
	pu.RawQuery = q.Encode()
	s, err := Open(ctx, pu.String())
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pool.Exec(ctx, `TRUNCATE users, tokens, audit`); err != nil {
		tb.Fatal(err)
	}
	created := time.Now()
	secret := make([]byte, 57) // the size of a sealed 20-byte seed
	users := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return []any{fmt.Sprintf("user%08d", i), created.UnixNano()}, nil
	})
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"name", "created"}, users); err != nil {
		tb.Fatal(err)
	}
	tokens := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		t := &store.Token{ID: benchTokenID(i), User: fmt.Sprintf("user%08d", i), Type: store.TOTP, Enabled: true,
			Secret: secret, Params: otp.DefaultParams(), ConfiguredAt: created, Created: created}
		return sqlstore.TokenArgs(t), nil
	})
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"tokens"}, tokenColumns, tokens); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE tokens`); err != nil {
		tb.Fatal(err)
	}
}

// tokenColumns is sqlstore.TokenColumns as a list, for COPY.
var tokenColumns = []string{"id", "user_name", "type", "enabled", "comment", "secret", "algorithm", "digits",
	"period_ns", "t0", "identifier", "private_id", "next_counter", "drift", "failures", "locked_until",
	"last_check", "last_success", "configured_at", "created"}

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
