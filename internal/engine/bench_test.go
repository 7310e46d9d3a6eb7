package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

const benchTokens = 10_000

// benchClients is how many verifications are in flight: group commit turns
// concurrency into throughput.
const benchClients = 512

func benchSeed(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return sum[:enroll.OATHSecretSize]
}

func benchUser(i int) string { return fmt.Sprintf("u%06d", i) }

// enrollBench enrolls n HOTP tokens, one per user, from many goroutines.
func enrollBench(b *testing.B, f *fixture, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				s := enroll.Spec{User: benchUser(i), Type: store.HOTP, Secret: benchSeed(i)}
				if _, err := enroll.Enroll(f.ctx, f.st, f.box, s, t0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkVerify measures replay-safe verifications through the engine and
// the SQLite store with 10,000 enrolled HOTP tokens: each op is a valid,
// never used code for a random user, and must succeed.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, engine.DefaultPolicy())
	enrollBench(b, f, benchTokens)
	runVerify(b, f.eng, f.st, benchTokens)
}

// BenchmarkVerifyEngineOnly measures the engine's own work (sealed seed,
// HMAC window, decisions) over a store in memory: the ceiling the engine
// puts on throughput whatever the store.
func BenchmarkVerifyEngineOnly(b *testing.B) {
	f := newFixture(b, engine.DefaultPolicy())
	enrollBench(b, f, benchTokens)
	mem, err := newMemStore(f.ctx, f.st)
	if err != nil {
		b.Fatal(err)
	}
	runVerify(b, engine.New(mem, f.box, engine.DefaultPolicy(), f.clock.Now), mem, benchTokens)
}

// runVerify gives each goroutine its own users (g, g+clients, ...) and keeps
// their HOTP counters, so that every code is valid and used once. A code
// that matches two counters of the window moves the token past the higher
// one (1 in about 10^5 codes); the next code is then refused, and the client
// reads the token's counter back from st. Those refusals are reported as
// resyncs/op; any other refusal fails the benchmark.
func runVerify(b *testing.B, eng *engine.Engine, st store.Store, n int) {
	ctx := context.Background()
	var ids atomic.Int64
	var refused, resyncs atomic.Int64
	p := otp.DefaultParams()
	par := max(1, benchClients/runtime.GOMAXPROCS(0))
	clients := par * runtime.GOMAXPROCS(0) // RunParallel's goroutines
	b.SetParallelism(par)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(ids.Add(1) - 1)
		counters := make([]uint64, n/clients+1)
		r := rand.New(rand.NewPCG(uint64(g), 2))
		for pb.Next() {
			j := r.IntN(len(counters))
			i := g + j*clients
			if i >= n {
				i, j = g, 0
			}
			code := otp.Generate(benchSeed(i), counters[j], p)
			counters[j]++
			res, err := eng.Verify(ctx, engine.Request{User: benchUser(i), Code: code, Source: "bench"})
			if err != nil {
				b.Error(err)
				return
			}
			if res.OK {
				continue
			}
			toks, err := st.Tokens(ctx, benchUser(i))
			if err != nil || len(toks) != 1 || uint64(toks[0].Next) < counters[j] {
				refused.Add(1)
				continue
			}
			counters[j] = uint64(toks[0].Next)
			resyncs.Add(1)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	b.ReportMetric(float64(resyncs.Load())/float64(b.N), "resyncs/op")
	if n := refused.Load(); n > 0 {
		b.Errorf("%d valid codes refused", n)
	}
}

// memStore keeps tokens in memory with the store's commit rule; only what
// Verify calls is implemented.
type memStore struct {
	store.Store
	mu   sync.Mutex
	toks map[string][]store.Token
	next map[string]int64
}

func newMemStore(ctx context.Context, st store.Store) (*memStore, error) {
	m := &memStore{toks: map[string][]store.Token{}, next: map[string]int64{}}
	err := st.ForEachToken(ctx, func(t store.Token) error {
		m.toks[t.User] = append(m.toks[t.User], t)
		return nil
	})
	return m, err
}

func (m *memStore) Tokens(_ context.Context, user string) ([]store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	toks := append([]store.Token(nil), m.toks[user]...)
	for i := range toks {
		toks[i].Next = m.next[toks[i].ID]
	}
	return toks, nil
}

func (m *memStore) CommitSuccess(_ context.Context, s store.Success) (store.Commit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.next[s.TokenID] >= s.Next {
		return store.Replayed, nil
	}
	m.next[s.TokenID] = s.Next
	return store.Committed, nil
}

func (m *memStore) AppendAudit(context.Context, store.AuditEvent) error { return nil }

func (m *memStore) RecordFailure(context.Context, store.Attempt) (store.Failure, error) {
	return store.Failure{Failures: 1}, nil
}
