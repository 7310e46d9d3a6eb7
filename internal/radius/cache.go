package radius

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
	"unsafe"
)

// cacheKey names a request the way RFC 5080 section 2.2.2 detects
// duplicates: source address and port, Identifier and Request
// Authenticator. It holds no pointer.
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

// entryOverhead is what one entry costs besides its reply's octets, at
// most: its record and its two index slots, with the ring and the index
// grown to twice what they hold.
const entryOverhead = 2 * (int(unsafe.Sizeof(record{})) + 2*4)

// record is one finished reply: its octets are arena[off:off+n].
type record struct {
	key     cacheKey
	hash    uint32
	off, n  uint32
	expires int64 // Unix nanoseconds
}

// replyCache keeps each reply for ttl so that a NAS's retransmission gets
// the same octets again instead of being verified again: a one-time code
// that was accepted would otherwise be refused as a replay. It keeps only
// what that needs, the key and the encoded reply, within a budget of
// octets: each entry costs its reply plus entryOverhead, and when the
// budget is spent the oldest reply makes room.
//
// The finished replies are records in a ring, oldest first (ttl is
// constant, so that is expiry order), found through an open-addressing
// index of ring positions; their octets live in one arena, itself used as
// a ring. All three grow on demand, the arena up to the budget, and hold
// no pointer, so that the cache allocates nothing per reply and gives the
// garbage collector nothing to scan. The few requests in flight are a map
// apart. It is safe for concurrent use.
type replyCache struct {
	mu       sync.Mutex
	ttl      time.Duration
	budget   int
	used     int // octets charged to the entries present
	seed     maphash.Seed
	inFlight map[cacheKey]struct{}
	ring     []record // a power of two long; ring[head&mask] is the oldest of count records
	head     uint64
	count    int
	slots    []uint32 // twice as long as ring: 0 is empty, p+1 names ring[p]
	arena    []byte
	tail     int    // where the next reply goes in the arena
	evicted  uint64 // finished entries dropped before their time, for room
}

// Sizes the ring and the arena start at.
const (
	minRing  = 64
	minArena = 4 * MaxPacketLength
)

func newReplyCache(ttl time.Duration, budget int) *replyCache {
	return &replyCache{ttl: ttl, budget: budget, seed: maphash.MakeSeed(), inFlight: make(map[cacheKey]struct{})}
}

// begin looks key up at time now. For cacheNew the request is recorded as
// in flight and the caller must call finish or abandon; for cacheHit a copy
// of the cached reply is returned.
func (c *replyCache) begin(key cacheKey, now time.Time) (cacheState, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.UnixNano())
	if _, ok := c.inFlight[key]; ok {
		return cacheInFlight, nil
	}
	if _, p, ok := c.find(key, c.hash(key)); ok {
		r := c.ring[p]
		return cacheHit, append([]byte(nil), c.arena[r.off:r.off+r.n]...)
	}
	if !c.reserve(entryOverhead) {
		return cacheFull, nil
	}
	c.inFlight[key] = struct{}{}
	return cacheNew, nil
}

// finish stores the reply to an in-flight request. A reply that cannot fit
// the budget is not kept: a retransmission is then processed afresh.
func (c *replyCache) finish(key cacheKey, reply []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.inFlight[key]; !ok {
		return
	}
	delete(c.inFlight, key)
	off, ok := c.place(len(reply))
	if !ok {
		c.used -= entryOverhead
		return
	}
	copy(c.arena[off:], reply)
	c.push(record{key: key, hash: c.hash(key), off: uint32(off), n: uint32(len(reply)), expires: now.Add(c.ttl).UnixNano()})
}

// abandon forgets an in-flight request that got no reply, so that a
// retransmission is processed afresh.
func (c *replyCache) abandon(key cacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.inFlight[key]; ok {
		delete(c.inFlight, key)
		c.used -= entryOverhead
	}
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
	if c.count == 0 {
		return 0, n <= len(c.arena)
	}
	start := int(c.oldest().off)
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
	for i := range c.count {
		r := &c.ring[(c.head+uint64(i))&c.mask()]
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
	if c.count == 0 {
		return false
	}
	c.drop()
	c.evicted++
	return true
}

// expire drops the replies whose time is up.
func (c *replyCache) expire(now int64) {
	for c.count > 0 && c.oldest().expires <= now {
		c.drop()
	}
}

func (c *replyCache) mask() uint64    { return uint64(len(c.ring) - 1) }
func (c *replyCache) oldest() *record { return &c.ring[c.head&c.mask()] }

func (c *replyCache) hash(key cacheKey) uint32 {
	return uint32(maphash.Comparable(c.seed, key))
}

// push appends r as the newest record, growing the ring when it is full.
func (c *replyCache) push(r record) {
	if c.count == len(c.ring) {
		c.resize(max(minRing, 2*len(c.ring)))
	}
	p := (c.head + uint64(c.count)) & c.mask()
	c.ring[p] = r
	c.count++
	c.link(r.hash, p)
}

// drop removes the oldest record and its index slot.
func (c *replyCache) drop() {
	r := c.oldest()
	if i, _, ok := c.find(r.key, r.hash); ok {
		c.unlink(i)
	}
	c.used -= entryOverhead + int(r.n)
	c.head++
	c.count--
}

// resize moves the records to a ring of n and rebuilds the index.
func (c *replyCache) resize(n int) {
	ring := make([]record, n)
	for i := range c.count {
		seq := c.head + uint64(i)
		ring[seq&uint64(n-1)] = c.ring[seq&c.mask()]
	}
	c.ring, c.slots = ring, make([]uint32, 2*n)
	for i := range c.count {
		p := (c.head + uint64(i)) & c.mask()
		c.link(c.ring[p].hash, p)
	}
}

// find returns the index slot and the ring position of key, whose hash is
// h, and whether it is there.
func (c *replyCache) find(key cacheKey, h uint32) (slot int, pos uint64, ok bool) {
	if len(c.slots) == 0 {
		return 0, 0, false
	}
	m := len(c.slots) - 1
	for i := int(h) & m; ; i = (i + 1) & m {
		v := c.slots[i]
		if v == 0 {
			return 0, 0, false
		}
		if c.ring[v-1].key == key {
			return i, uint64(v - 1), true
		}
	}
}

// link puts ring position p, of a key whose hash is h, in the first free
// slot from h's (linear probing; the index is at most half full).
func (c *replyCache) link(h uint32, p uint64) {
	m := len(c.slots) - 1
	i := int(h) & m
	for c.slots[i] != 0 {
		i = (i + 1) & m
	}
	c.slots[i] = uint32(p + 1)
}

// unlink empties slot i and moves back the entries after it that would
// otherwise no longer be found from their home slot (backward-shift
// deletion).
func (c *replyCache) unlink(i int) {
	m := len(c.slots) - 1
	for j := i; ; {
		c.slots[i] = 0
		for {
			j = (j + 1) & m
			v := c.slots[j]
			if v == 0 {
				return
			}
			home := int(c.ring[v-1].hash) & m
			if (j-home)&m >= (j-i)&m { // home lies at or before the hole: move it there
				c.slots[i] = v
				i = j
				break
			}
		}
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
	return len(c.inFlight) + c.count, c.used
}
