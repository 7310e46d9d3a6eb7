package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/bench/internal/latency"
	"otpgate.dev/otpgate/internal/otp"
)

// loginFunc logs user in with code and reports whether PAM accepted it; an
// error means the login could not be attempted.
type loginFunc func(user, code string) (bool, error)

type stats struct {
	ok, refused, errs int
	hotp, totp        int // logins attempted
	hotpOK            int // HOTP logins accepted
	latencies         []time.Duration
	elapsed           time.Duration
}

// userName and seedKey name user i and derive its seed, so that the
// workers need not keep the users file's secrets.
func userName(i int) string { return fmt.Sprintf("user%06d", i) }

func seedKey(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(append([]byte("otpgate pam_oath bench seed"), b[:]...))
	return sum[:20]
}

func isTOTP(i int) bool { return i%2 == 1 }

// load runs c.goroutines workers for c.duration. Worker w owns users w,
// w+G, w+2G, ... and keeps their next HOTP counter or last TOTP step, so
// every code it submits is valid and unused.
func load(c config, login loginFunc) stats {
	var (
		total stats
		mu    sync.Mutex
		wg    sync.WaitGroup
		stop  atomic.Bool
	)
	start := time.Now()
	for w := range c.goroutines {
		wg.Go(func() {
			s := worker(c, login, w, &stop)
			mu.Lock()
			total.ok, total.refused, total.errs = total.ok+s.ok, total.refused+s.refused, total.errs+s.errs
			total.hotp, total.totp, total.hotpOK = total.hotp+s.hotp, total.totp+s.totp, total.hotpOK+s.hotpOK
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

func worker(c config, login loginFunc, w int, stop *atomic.Bool) stats {
	var s stats
	share := (c.users - w + c.goroutines - 1) / c.goroutines
	last := make([]int64, share) // HOTP: next counter; TOTP: last step used
	p := otp.DefaultParams()
	r := rand.New(rand.NewPCG(uint64(w), 2))
	for !stop.Load() {
		j := r.IntN(share)
		i := w + j*c.goroutines
		var code string
		if isTOTP(i) {
			step := int64(p.Step(time.Now()))
			if step <= last[j] { // used in this step: pick another user
				continue
			}
			code, last[j] = otp.Generate(seedKey(i), uint64(step), p), step
			s.totp++
		} else {
			code = otp.Generate(seedKey(i), uint64(last[j]), p)
			last[j]++
			s.hotp++
		}
		t := time.Now()
		ok, err := login(userName(i), code)
		s.latencies = append(s.latencies, time.Since(t))
		switch {
		case err != nil:
			s.errs++
		case ok:
			s.ok++
			if !isTOTP(i) {
				s.hotpOK++
			}
		default:
			s.refused++
		}
	}
	return s
}

func (s *stats) print(c config) {
	p50, p99 := latency.Summary(s.latencies)
	fmt.Printf("%s, %d users, %d goroutines, %v: %d accepted, %d refused, %d errors (%d HOTP, %d TOTP logins)\n",
		c.mode, c.users, c.goroutines, s.elapsed.Round(time.Millisecond), s.ok, s.refused, s.errs, s.hotp, s.totp)
	fmt.Printf("%.0f logins/s, p50 %v, p99 %v\n", float64(s.ok)/s.elapsed.Seconds(), p50, p99)
}
