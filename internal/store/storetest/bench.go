package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The store benchmarks every implementation runs, so that their figures
// compare (docs/benchmarks.md).

// BenchSizes are the token counts of issue 3's benchmark.
var BenchSizes = []int{10_000, 1_000_000}

// BenchClients is how many operations are in flight at once: group commit
// and connection pools turn concurrency into batches.
const BenchClients = 1024

// BenchBySize runs bench once for each of BenchSizes, on the store open
// returns holding that many tokens, named id(0..n-1).
func BenchBySize(b *testing.B, open func(b *testing.B, n int) store.Store, id func(int) string,
	bench func(b *testing.B, s store.Store, n int, id func(int) string)) {
	for _, n := range BenchSizes {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) { bench(b, open(b, n), n, id) })
	}
}

// BenchCommitSuccess measures replay-safe commits on s, which holds n
// tokens named id(0..n-1): each op is one CommitSuccess of a fresh, higher
// counter on a random token.
func BenchCommitSuccess(b *testing.B, s store.Store, n int, id func(int) string) {
	benchParallel(b, s, n, id, func(ctx context.Context, id string, next int64) error {
		_, err := s.CommitSuccess(ctx, store.Success{TokenID: id, Next: next, Now: time.Now()})
		return err
	})
}

// BenchLogin measures what the engine asks of the store per login: read
// the token, commit the success with its audit event.
func BenchLogin(b *testing.B, s store.Store, n int, id func(int) string) {
	benchParallel(b, s, n, id, func(ctx context.Context, id string, next int64) error {
		t, err := s.Token(ctx, id)
		if err != nil {
			return err
		}
		now := time.Now()
		_, err = s.CommitSuccess(ctx, store.Success{TokenID: id, Next: max(next, t.Next), Now: now,
			Event: store.AuditEvent{Time: now, Actor: store.ActorRADIUS, Action: store.ActionVerify,
				User: t.User, TokenID: id, Result: store.ResultOK}})
		return err
	})
}

func benchParallel(b *testing.B, s store.Store, n int, id func(int) string, op func(context.Context, string, int64) error) {
	ctx := context.Background()
	var counter atomic.Int64
	counter.Store(time.Now().UnixNano()) // above every earlier run's counters
	b.SetParallelism(max(1, BenchClients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx, id(rand.IntN(n)), counter.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
