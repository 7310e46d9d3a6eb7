package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// benchSizes are the token counts of issue 3's benchmark. Benchmarks run only
// with -bench, so the 1M-row database is never built by a plain go test.
var benchSizes = []int{10_000, 1_000_000}

// benchClients is how many logins are in flight at once. Group commit turns
// concurrency into throughput: at 50,000 logins/s and a few milliseconds per
// fsync, a server has hundreds of requests waiting at any moment.
const benchClients = 1024

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

func runParallel(b *testing.B, path string, n int, login func(context.Context, *Store, string, int64) error) {
	ctx := context.Background()
	s, err := Open(ctx, path)
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
