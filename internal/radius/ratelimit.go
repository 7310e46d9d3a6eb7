package radius

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens and gains perSecond
// tokens each second; each allowed event takes one. The time comes from the
// caller, so that tests drive it. A nil bucket allows everything. It is safe
// for concurrent use.
type bucket struct {
	mu        sync.Mutex
	perSecond float64
	burst     float64
	tokens    float64
	last      time.Time // zero until the first event: the bucket starts full
}

// newBucket returns a bucket for r, a zero field taking def's value; nil
// when r turns limiting off.
func newBucket(r, def RateLimit) (*bucket, error) {
	if r.unlimited() {
		return nil, nil
	}
	if r.PerSecond == 0 {
		r.PerSecond = def.PerSecond
	}
	if r.Burst == 0 {
		r.Burst = def.Burst
	}
	if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) || r.Burst < 1 {
		return nil, fmt.Errorf("rate limit %v/s with burst %d: want a positive rate and a burst of at least 1", r.PerSecond, r.Burst)
	}
	return &bucket{perSecond: r.PerSecond, burst: float64(r.Burst), tokens: float64(r.Burst)}, nil
}

// allow takes a token at time now if one is left.
func (b *bucket) allow(now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			b.tokens = min(b.burst, b.tokens+d.Seconds()*b.perSecond)
		}
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// charge takes one request at time now from the budget it belongs to: Rate
// for a request whose Message-Authenticator proved it, Unauthenticated for
// one that carried none. It returns the reason to drop it, if any.
func (e *entry) charge(authenticated bool, now time.Time) DropReason {
	switch {
	case authenticated && !e.limiter.allow(now):
		return DropRateLimited
	case !authenticated && !e.unauthenticated.allow(now):
		return DropUnauthenticatedRateLimited
	}
	return notDropped
}
