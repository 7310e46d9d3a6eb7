package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
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

// benchSizes are the token counts of the SQLite benchmark.
var benchSizes = []int{10_000, 1_000_000}

// benchClients is how many logins are in flight at once, as for SQLite;
// the pool (10 connections unless the URL says otherwise) queues them.
const benchClients = 1024

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
// below any value the benchmarks commit.
func fillDB(tb testing.TB, u string, n int) {
	ctx := context.Background()
	s, err := Open(ctx, u)
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

// BenchmarkCommitSuccessParallel measures replay-safe commits: each op is one
// CommitSuccess of a fresh, higher counter on a random token.
func BenchmarkCommitSuccessParallel(b *testing.B) {
	db := benchDBs(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			runParallel(b, db(n), n, func(ctx context.Context, s *Store, id string, next int64) error {
				_, err := s.CommitSuccess(ctx, id, next, 0, time.Now())
				return err
			})
		})
	}
}

// BenchmarkLoginParallel measures what the engine asks of the store per
// login: read the token, commit the success, append the audit event.
func BenchmarkLoginParallel(b *testing.B) {
	db := benchDBs(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			runParallel(b, db(n), n, func(ctx context.Context, s *Store, id string, next int64) error {
				t, err := s.Token(ctx, id)
				if err != nil {
					return err
				}
				now := time.Now()
				if _, err := s.CommitSuccess(ctx, id, max(next, t.Next), 0, now); err != nil {
					return err
				}
				return s.AppendAudit(ctx, store.AuditEvent{Time: now, Actor: "bench", Action: "verify",
					User: t.User, TokenID: id, Result: "ok"})
			})
		})
	}
}

func runParallel(b *testing.B, u string, n int, login func(context.Context, *Store, string, int64) error) {
	ctx := context.Background()
	s, err := Open(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var counter atomic.Int64
	counter.Store(time.Now().UnixNano()) // above every earlier run's counters
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := login(ctx, s, benchTokenID(rand.IntN(n)), counter.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
