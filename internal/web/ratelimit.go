package web

import (
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"
)

// Rate is a token bucket: PerSecond requests on average, Burst at once. The
// zero Rate turns limiting off.
type Rate struct {
	PerSecond float64
	Burst     int
}

// maxBuckets bounds a Limiter's table. When it is full of clients that are
// all still limited, a new client is refused until one of them recovers:
// an attacker with many addresses slows new ones down, never the store.
const maxBuckets = 1 << 16

// Limiter is a token bucket for each key (a client address, an API key).
// It keeps nothing about logins: replay and lockout live in the store. A nil
// Limiter allows everything. It is safe for concurrent use.
type Limiter struct {
	rate Rate
	now  func() time.Time
	mu   sync.Mutex
	b    map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter for r, nil when r is the zero Rate.
func NewLimiter(r Rate) (*Limiter, error) {
	if r == (Rate{}) {
		return nil, nil
	}
	if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) || r.Burst < 1 {
		return nil, fmt.Errorf("rate %v/s with burst %d: want a positive rate and a burst of at least 1", r.PerSecond, r.Burst)
	}
	return &Limiter{rate: r, now: time.Now, b: map[string]*bucket{}}, nil
}

// Allow takes a token from key's bucket if one is left.
func (l *Limiter) Allow(key string) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.b[key]
	if !ok {
		if len(l.b) >= maxBuckets && !l.sweep(now) {
			return false
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.b[key] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+d.Seconds()*l.rate.PerSecond)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets the buckets that are full again, which a new bucket would
// be; it reports whether it made room.
func (l *Limiter) sweep(now time.Time) bool {
	refill := time.Duration(float64(l.rate.Burst) / l.rate.PerSecond * float64(time.Second))
	for k, b := range l.b {
		if now.Sub(b.last) >= refill {
			delete(l.b, k)
		}
	}
	return len(l.b) < maxBuckets
}

// sourceKey is what a client address is limited under: IPv4 as it is, IPv6
// by its /64, which one host or subscriber usually holds whole.
func sourceKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	return a.Unmap().String()
}
