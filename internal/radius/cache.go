package radius

import (
	"net/netip"
	"sync"
	"time"
)

// cacheKey names a request the way RFC 5080 section 2.2.2 detects
// duplicates: source address and port, Identifier and Request
// Authenticator. It holds no pointer, so that the garbage collector need
// not scan the cache's index.
type cacheKey struct {
	addr [16]byte
	port uint16
	id   byte
	auth [AuthenticatorLength]byte
}

// newCacheKey returns the key of packet, a request of at least a header,
// from src.
func newCacheKey(src netip.AddrPort, packet []byte) cacheKey {
	return cacheKey{addr: src.Addr().As16(), port: src.Port(), id: packet[1], auth: [AuthenticatorLength]byte(packet[4:HeaderLength])}
}

// cacheState is what the cache knows about a request when it arrives.
type cacheState int

const (
	cacheNew      cacheState = iota // first sight: process it, then finish or abandon
	cacheHit                        // answered before: resend the cached reply
	cacheInFlight                   // still being processed: drop it
	cacheFull                       // no room, all in flight: drop it
)

// entryOverhead is what one entry costs besides its reply's octets: its
// index slot and its record, with the slack of their growth.
const entryOverhead = 128

// inFlight is the index value of a request without a reply yet; finished
// entries hold the sequence number of their record, from 1.
const inFlight = 0

// record is one finished reply: its octets are arena[off:off+n].
type record struct {
	key     cacheKey
	off, n  uint32
	expires int64 // Unix nanoseconds
}

// replyCache keeps each reply for ttl so that a NAS's retransmission gets
// the same octets again instead of being verified again: a one-time code
// that was accepted would otherwise be refused as a replay. It keeps only
// what that needs, the key and the encoded reply, within a budget of
// octets: each entry costs its reply plus entryOverhead, and when the
// budget is spent the oldest reply makes room. The replies live in one
// arena used as a ring, grown on demand up to the budget, so that the
// cache allocates nothing per reply. It is safe for concurrent use.
type replyCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	budget  int
	used    int                 // octets charged to the entries present
	index   map[cacheKey]uint64 // key -> sequence number of its record, or inFlight
	records []record            // finished replies in expiry order (ttl is constant); records[head:] are live
	head    int
	first   uint64 // sequence number of records[0]
	arena   []byte
	tail    int    // where the next reply goes in the arena
	evicted uint64 // finished entries dropped before their time, for room
}

// minArena is the arena's first size: room for a few replies of the
// largest size.
const minArena = 4 * MaxPacketLength

func newReplyCache(ttl time.Duration, budget int) *replyCache {
	return &replyCache{ttl: ttl, budget: budget, index: make(map[cacheKey]uint64), first: 1}
}

// begin looks key up at time now. For cacheNew the request is recorded as
// in flight and the caller must call finish or abandon; for cacheHit a copy
// of the cached reply is returned.
func (c *replyCache) begin(key cacheKey, now time.Time) (cacheState, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.UnixNano())
	if seq, ok := c.index[key]; ok {
		if seq == inFlight {
			return cacheInFlight, nil
		}
		r := c.records[seq-c.first]
		return cacheHit, append([]byte(nil), c.arena[r.off:r.off+r.n]...)
	}
	if !c.reserve(entryOverhead) {
		return cacheFull, nil
	}
	c.index[key] = inFlight
	return cacheNew, nil
}

// finish stores the reply to an in-flight request. A reply that cannot fit
// the budget is not kept: a retransmission is then processed afresh.
func (c *replyCache) finish(key cacheKey, reply []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq, ok := c.index[key]; !ok || seq != inFlight {
		return
	}
	off, ok := c.place(len(reply))
	if !ok {
		c.forget(key)
		return
	}
	copy(c.arena[off:], reply)
	c.records = append(c.records, record{key: key, off: uint32(off), n: uint32(len(reply)), expires: now.Add(c.ttl).UnixNano()})
	c.index[key] = c.first + uint64(len(c.records)-1)
}

// abandon forgets an in-flight request that got no reply, so that a
// retransmission is processed afresh.
func (c *replyCache) abandon(key cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq, ok := c.index[key]; ok && seq == inFlight {
		c.forget(key)
	}
}

// forget removes an in-flight entry.
func (c *replyCache) forget(key cacheKey) {
	delete(c.index, key)
	c.used -= entryOverhead
}

// reserve charges n octets to the budget, evicting the oldest replies as
// needed. It reports false when even an empty cache of finished replies
// leaves no room.
func (c *replyCache) reserve(n int) bool {
	for c.used+n > c.budget {
		if !c.evictOldest() {
			return false
		}
	}
	c.used += n
	return true
}

// place charges and finds room for n octets in the arena and returns their
// offset. The arena grows before a live reply is evicted for room.
func (c *replyCache) place(n int) (int, bool) {
	if !c.reserve(n) {
		return 0, false
	}
	for {
		if off, ok := c.fit(n); ok {
			c.tail = off + n
			return off, true
		}
		if !c.grow(n) && !c.evictOldest() {
			c.used -= n
			return 0, false
		}
	}
}

// fit finds n free octets in the ring. The live replies run from the
// oldest record's offset to tail, possibly wrapping past the end of the
// arena; a reply goes after the newest, or at the start when the end has no
// room for it.
func (c *replyCache) fit(n int) (int, bool) {
	if c.head == len(c.records) {
		return 0, n <= len(c.arena)
	}
	start := int(c.records[c.head].off)
	switch {
	case c.tail <= start: // wrapped: the free octets lie between tail and start
		return c.tail, c.tail+n < start
	case c.tail+n <= len(c.arena):
		return c.tail, true
	}
	return 0, n < start
}

// grow doubles the arena, up to the budget, copying the live replies to its
// start. It reports false when the arena is already as large as allowed.
func (c *replyCache) grow(n int) bool {
	size := max(minArena, 2*len(c.arena), n)
	if size > c.budget {
		size = max(c.budget, n)
	}
	if size <= len(c.arena) {
		return false
	}
	arena := make([]byte, size)
	off := 0
	for i := c.head; i < len(c.records); i++ {
		r := &c.records[i]
		copy(arena[off:], c.arena[r.off:r.off+r.n])
		r.off = uint32(off)
		off += int(r.n)
	}
	c.arena, c.tail = arena, off
	return true
}

// evictOldest makes room by dropping the finished reply closest to expiry.
// Under a load above what the budget holds for ttl, retransmissions are
// then recognised for less than ttl, rather than new requests being
// refused. It reports false when no reply is left.
func (c *replyCache) evictOldest() bool {
	if c.head == len(c.records) {
		return false
	}
	c.drop()
	c.evicted++
	return true
}

// drop removes the oldest record and its index entry: a key with a live
// record is answered from it, so it has no other entry.
func (c *replyCache) drop() {
	r := c.records[c.head]
	delete(c.index, r.key)
	c.used -= entryOverhead + int(r.n)
	c.head++
}

// expire drops the replies whose time is up, and compacts the records once
// most of them are done with.
func (c *replyCache) expire(now int64) {
	for c.head < len(c.records) && c.records[c.head].expires <= now {
		c.drop()
	}
	if c.head > 1024 && c.head > len(c.records)/2 {
		n := copy(c.records, c.records[c.head:])
		c.records = c.records[:n]
		c.first += uint64(c.head)
		c.head = 0
	}
}

// evictions returns how many entries were dropped before their time.
func (c *replyCache) evictions() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evicted
}

// size returns the number of entries, in flight or finished, and the
// octets charged for them.
func (c *replyCache) size() (entries, octets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.index), c.used
}
