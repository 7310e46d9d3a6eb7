package radius

import (
	"crypto/sha256"
	"net/netip"
	"sync"
	"time"
)

// cacheKey names a request the way RFC 5080 section 2.2.2 detects
// duplicates: source address and port, Identifier and Request Authenticator.
type cacheKey struct {
	src  netip.AddrPort
	id   byte
	auth [AuthenticatorLength]byte
}

// cacheState is what the cache knows about a request when it arrives.
type cacheState int

const (
	cacheNew      cacheState = iota // first sight: process it, then finish or abandon
	cacheHit                        // answered before: resend the cached reply
	cacheInFlight                   // still being processed: drop it
	cacheConflict                   // same key, different packet: drop it
	cacheFull                       // no room, all in flight: drop it
)

type cacheEntry struct {
	digest  [sha256.Size]byte // of the whole request, so a retransmit is byte-identical
	reply   []byte            // nil while in flight
	expires time.Time
}

type expiry struct {
	key cacheKey
	at  time.Time
}

// replyCache keeps each reply for ttl so that a NAS's retransmission gets
// the same bytes again instead of being verified again: a one-time code
// that was accepted would otherwise be refused as a replay. It is safe for
// concurrent use.
type replyCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[cacheKey]*cacheEntry
	queue   []expiry // finished entries in expiry order (ttl is constant)
	head    int      // queue[:head] are done with
	evicted uint64   // finished entries dropped before their time, for room
}

func newReplyCache(ttl time.Duration, max int) *replyCache {
	return &replyCache{ttl: ttl, max: max, entries: make(map[cacheKey]*cacheEntry)}
}

// begin looks key up at time now. For cacheNew the request is recorded as in
// flight and the caller must call finish or abandon; for cacheHit the cached
// reply is returned.
func (c *replyCache) begin(key cacheKey, packet []byte, now time.Time) (cacheState, []byte) {
	d := sha256.Sum256(packet)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if e, ok := c.entries[key]; ok {
		switch {
		case e.digest != d:
			return cacheConflict, nil
		case e.reply == nil:
			return cacheInFlight, nil
		default:
			return cacheHit, e.reply
		}
	}
	if len(c.entries) >= c.max && !c.evictOldest() {
		return cacheFull, nil
	}
	c.entries[key] = &cacheEntry{digest: d}
	return cacheNew, nil
}

// finish stores the reply to an in-flight request.
func (c *replyCache) finish(key cacheKey, reply []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return
	}
	e.reply, e.expires = reply, now.Add(c.ttl)
	c.queue = append(c.queue, expiry{key, e.expires})
}

// evictOldest makes room by dropping the finished entry closest to expiry.
// Under a load above max/ttl requests per second, retransmissions are then
// recognised for less than ttl, rather than new requests being refused. It
// reports false when every entry is in flight.
func (c *replyCache) evictOldest() bool {
	for ; c.head < len(c.queue); c.head++ {
		q := c.queue[c.head]
		if e, ok := c.entries[q.key]; ok && e.reply != nil && e.expires.Equal(q.at) {
			delete(c.entries, q.key)
			c.evicted++
			c.head++
			return true
		}
	}
	return false
}

// evictions returns how many entries were dropped before their time.
func (c *replyCache) evictions() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evicted
}

// abandon forgets an in-flight request that got no reply, so that a
// retransmission is processed afresh.
func (c *replyCache) abandon(key cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.reply == nil {
		delete(c.entries, key)
	}
}

// expire drops the entries whose time is up. A queue record only removes
// the entry it was made for, not a later one under the same key.
func (c *replyCache) expire(now time.Time) {
	for ; c.head < len(c.queue) && !c.queue[c.head].at.After(now); c.head++ {
		q := c.queue[c.head]
		if e, ok := c.entries[q.key]; ok && e.reply != nil && e.expires.Equal(q.at) {
			delete(c.entries, q.key)
		}
	}
	if c.head > 1024 && c.head > len(c.queue)/2 {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue, c.head = c.queue[:n], 0
	}
}

// size returns the number of entries, in flight or finished.
func (c *replyCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
