package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/bench/internal/latency"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// clock is the engine's clock: real time for HOTP; for TOTP, time running
// -speed times faster, so that every token has a fresh step often enough.
type clock struct {
	start time.Time
	speed time.Duration
}

func newClock(c config) *clock {
	k := &clock{start: time.Now(), speed: 1}
	if c.typ == store.TOTP {
		k.speed = time.Duration(c.speed)
	}
	return k
}

func (k *clock) now() time.Time { return k.start.Add(time.Since(k.start) * k.speed) }

// stats are what the clients measured.
type stats struct {
	ok, refused, errs int64
	resyncs           int64 // HOTP codes that matched two counters; see client
	elapsed           time.Duration
	latencies         []time.Duration
}

// load runs c.clients clients for c.duration. Client w owns users w,
// w+clients, w+2·clients, ... and keeps their HOTP counters or last TOTP
// steps in counters, so no two clients ever submit a code of the same token
// and every code is valid.
func load(ctx context.Context, eng *engine.Engine, st store.Store, clk *clock, c config, counters []int64) stats {
	var (
		total stats
		mu    sync.Mutex
		wg    sync.WaitGroup
		stop  atomic.Bool
	)
	start := time.Now()
	for w := range c.clients {
		wg.Go(func() {
			s := client(ctx, eng, st, clk, c, w, counters, &stop)
			mu.Lock()
			total.ok += s.ok
			total.refused += s.refused
			total.errs += s.errs
			total.resyncs += s.resyncs
			total.latencies = append(total.latencies, s.latencies...)
			mu.Unlock()
		})
	}
	time.Sleep(c.duration)
	stop.Store(true)
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// A code that matches two counters of the HOTP window moves the token past
// the higher one (about 1 code in 10^5); the client's next code for it is
// then refused, and the client reads the token's counter back. Those
// refusals are counted as resyncs, not refusals.
func client(ctx context.Context, eng *engine.Engine, st store.Store, clk *clock, c config, w int, counters []int64, stop *atomic.Bool) stats {
	var s stats
	share := (c.tokens - w + c.clients - 1) / c.clients
	p := otp.DefaultParams()
	r := rand.New(rand.NewPCG(uint64(w), 1))
	for !stop.Load() {
		j := r.IntN(share)
		i := w + j*c.clients
		last := &counters[i] // HOTP: next counter; TOTP: last step used
		var code string
		if c.typ == store.HOTP {
			code = otp.Generate(seedKey(i, 20), uint64(*last), p)
			*last++
		} else {
			step := int64(p.Step(clk.now()))
			if step <= *last { // used in this step: wait for the clock
				time.Sleep(time.Millisecond)
				continue
			}
			code, *last = otp.Generate(seedKey(i, 20), uint64(step), p), step
		}
		t := time.Now()
		res, err := eng.Verify(ctx, engine.Request{User: userName(i), Code: code, Source: "bench", Actor: "bench"})
		s.latencies = append(s.latencies, time.Since(t))
		switch {
		case err != nil:
			s.errs++
		case res.OK:
			s.ok++
		case c.typ == store.HOTP && resync(ctx, st, userName(i), last):
			s.resyncs++
		default:
			s.refused++
		}
	}
	return s
}

func (s *stats) print(c config) {
	p50, p99 := latency.Summary(s.latencies)
	fmt.Printf("%d clients, %v: %d verified, %d refused, %d errors, %d resyncs\n", c.clients, s.elapsed.Round(time.Millisecond), s.ok, s.refused, s.errs, s.resyncs)
	fmt.Printf("%.0f verifications/s, p50 %v, p99 %v\n", float64(s.ok)/s.elapsed.Seconds(), p50, p99)
}

// resync sets *counter to the token's Next if that is ahead of it.
func resync(ctx context.Context, st store.Store, user string, counter *int64) bool {
	toks, err := st.Tokens(ctx, user)
	if err != nil || len(toks) != 1 || toks[0].Next < *counter {
		return false
	}
	*counter = toks[0].Next
	return true
}
