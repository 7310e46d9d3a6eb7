package radius

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

func testKey(port uint16, id byte) cacheKey {
	return newCacheKey(netip.AddrPortFrom(testSrc.Addr(), port), append([]byte{1, id, 0, 20}, make([]byte, 16)...))
}

func TestReplyCache(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(10*time.Second, 1<<20)
	req := buildPacket(t, reqOpts{user: testUser})
	key, reply := newCacheKey(testSrc, req), []byte("reply")

	if st, _ := c.begin(key, clock.Now()); st != cacheNew {
		t.Fatalf("first begin = %v; want cacheNew", st)
	}
	if st, _ := c.begin(key, clock.Now()); st != cacheInFlight {
		t.Errorf("begin while in flight = %v; want cacheInFlight", st)
	}
	c.finish(key, reply, clock.Now())
	clock.Advance(9 * time.Second)
	if st, got := c.begin(key, clock.Now()); st != cacheHit || !bytes.Equal(got, reply) {
		t.Errorf("begin after finish = %v, %q; want cacheHit, %q", st, got, reply)
	}
	other := bytes.Clone(req)
	other[1]++
	if st, _ := c.begin(newCacheKey(testSrc, other), clock.Now()); st != cacheNew {
		t.Errorf("begin with another Identifier = %v; want cacheNew", st)
	}
	other = bytes.Clone(req)
	other[19]++
	if st, _ := c.begin(newCacheKey(testSrc, other), clock.Now()); st != cacheNew {
		t.Errorf("begin with another Request Authenticator = %v; want cacheNew", st)
	}
	if st, _ := c.begin(newCacheKey(netip.MustParseAddrPort("127.0.0.1:40001"), req), clock.Now()); st != cacheNew {
		t.Errorf("begin from another port = %v; want cacheNew", st)
	}
	if st, _ := c.begin(newCacheKey(netip.MustParseAddrPort("127.0.0.2:40000"), req), clock.Now()); st != cacheNew {
		t.Errorf("begin from another address = %v; want cacheNew", st)
	}
	clock.Advance(time.Second)
	if st, _ := c.begin(key, clock.Now()); st != cacheNew {
		t.Errorf("begin after the TTL = %v; want cacheNew", st)
	}
}

func TestReplyCacheAbandon(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(time.Second, 1<<20)
	key := testKey(1, 1)
	c.begin(key, clock.Now())
	c.abandon(key)
	if st, _ := c.begin(key, clock.Now()); st != cacheNew {
		t.Errorf("begin after abandon = %v; want cacheNew", st)
	}
	c.finish(key, []byte("r"), clock.Now())
	c.abandon(key) // too late: a finished reply stays
	if st, _ := c.begin(key, clock.Now()); st != cacheHit {
		t.Errorf("begin after a late abandon = %v; want cacheHit", st)
	}
	if n, octets := c.size(); n != 1 || octets != entryOverhead+1 {
		t.Errorf("size() = %d, %d; want 1 entry of %d octets", n, octets, entryOverhead+1)
	}
}

// TestReplyCacheBudget: the budget holds three entries of a 100-octet
// reply; the oldest reply makes room, a reply never a request in flight.
func TestReplyCacheBudget(t *testing.T) {
	clock := newFakeClock()
	const reply = 100
	c := newReplyCache(time.Minute, 3*(entryOverhead+reply))
	keys := []cacheKey{testKey(1, 0), testKey(1, 1), testKey(1, 2)}
	for _, k := range keys {
		c.begin(k, clock.Now())
		clock.Advance(time.Second)
	}
	c.finish(keys[1], bytes.Repeat([]byte{1}, reply), clock.Now())
	c.finish(keys[0], bytes.Repeat([]byte{0}, reply), clock.Now())
	c.finish(keys[2], bytes.Repeat([]byte{2}, reply), clock.Now())
	// Full: the oldest finished reply (keys[1], finished first) makes room.
	if st, _ := c.begin(testKey(1, 9), clock.Now()); st != cacheNew {
		t.Errorf("begin on a full cache = %v; want cacheNew after an eviction", st)
	}
	if st, got := c.begin(keys[0], clock.Now()); st != cacheHit || !bytes.Equal(got, bytes.Repeat([]byte{0}, reply)) {
		t.Errorf("begin(keys[0]) = %v, % x; want cacheHit with its reply: the newer reply stays", st, got)
	}
	// keys[1] was evicted: it is new work again, and evicts keys[0].
	if st, _ := c.begin(keys[1], clock.Now()); st != cacheNew {
		t.Errorf("begin(evicted keys[1]) = %v; want cacheNew", st)
	}
	if n, octets := c.size(); n != 3 || octets > c.budget {
		t.Errorf("size() = %d, %d octets; want 3 entries within the budget %d", n, octets, c.budget)
	}
	for i := range 10 { // in flight until the budget holds no more
		c.begin(testKey(2, byte(i)), clock.Now())
	}
	if st, _ := c.begin(testKey(3, 0), clock.Now()); st != cacheFull {
		t.Errorf("begin with the budget spent on requests in flight = %v; want cacheFull", st)
	}
	if n := c.evictions(); n != 3 {
		t.Errorf("evictions() = %d; want 3", n)
	}
}

// TestReplyCacheModel drives the cache with random requests, replies of
// random sizes and time steps, and checks it against a map: a hit is always
// the very reply of its key, never after its TTL; the octets charged stay
// within the budget and the arena within it too; and with a budget that
// never fills, no reply within its TTL is missed.
func TestReplyCacheModel(t *testing.T) {
	for _, budget := range []int{20_000, 1 << 30} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			runCacheModel(t, budget, budget > 1<<20)
		})
	}
}

func runCacheModel(t *testing.T, budget int, roomy bool) {
	rng := rand.New(rand.NewPCG(1, uint64(budget)))
	clock := newFakeClock()
	const ttl = 5 * time.Second
	c := newReplyCache(ttl, budget)
	type finished struct {
		reply []byte
		at    time.Time
	}
	model := make(map[cacheKey]finished)
	for step := range 50_000 {
		key := testKey(uint16(rng.IntN(64)), byte(rng.IntN(64)))
		st, got := c.begin(key, clock.Now())
		f, known := model[key]
		live := known && clock.Now().Before(f.at.Add(ttl))
		switch {
		case st == cacheHit && (!live || !bytes.Equal(got, f.reply)):
			t.Fatalf("step %d: hit with % x; the model has %+v (live %v)", step, got, f, live)
		case st == cacheNew && live && roomy:
			t.Fatalf("step %d: a reply within its TTL was missed: finished %v, now %v", step, f.at, clock.Now())
		case st == cacheNew:
			reply := make([]byte, 1+rng.IntN(MaxPacketLength))
			for i := range reply {
				reply[i] = byte(rng.Uint32())
			}
			if rng.IntN(8) == 0 {
				c.abandon(key)
				delete(model, key)
			} else {
				c.finish(key, reply, clock.Now())
				model[key] = finished{reply, clock.Now()}
			}
		}
		if _, octets := c.size(); octets > budget || len(c.arena) > budget {
			t.Fatalf("step %d: %d octets charged, arena of %d; budget %d", step, octets, len(c.arena), budget)
		}
		if step%97 == 0 {
			checkIndex(t, c)
		}
		clock.Advance(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
}

// checkIndex checks that every record is found through the index at its
// ring position, and that the index holds nothing else.
func checkIndex(t *testing.T, c *replyCache) {
	t.Helper()
	used := 0
	for _, v := range c.slots {
		if v != 0 {
			used++
		}
	}
	if used != c.count {
		t.Fatalf("the index holds %d slots for %d records", used, c.count)
	}
	for i := range c.count {
		p := (c.head + uint64(i)) & c.mask()
		r := c.ring[p]
		if _, got, ok := c.find(r.key, r.hash); !ok || got != p {
			t.Fatalf("record %d of %d, at %d, is found at %d, %v", i, c.count, p, got, ok)
		}
	}
}

func TestReplyCacheStaysSmall(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(time.Second, 1<<30)
	for i := range 5000 {
		k := testKey(uint16(i), byte(i))
		c.begin(k, clock.Now())
		c.finish(k, []byte("r"), clock.Now())
		clock.Advance(time.Millisecond)
	}
	if n, _ := c.size(); n > 1001 {
		t.Errorf("size() = %d after 5 s of 1000/s with a 1 s TTL; want <= 1001", n)
	}
	if len(c.ring) > 2048 {
		t.Errorf("the ring holds %d records for at most 1001 live ones; want at most 2048", len(c.ring))
	}
	if len(c.arena) > minArena {
		t.Errorf("arena of %d octets for 1000 one-octet replies; want it no larger than its first size %d", len(c.arena), minArena)
	}
}

// TestReplyCacheMemoryWithinBudget fills a cache of 4 MiB with Access-Accept
// sized replies, four times over, and checks that the heap it holds stays
// within that budget.
func TestReplyCacheMemoryWithinBudget(t *testing.T) {
	const budget = 4 << 20
	clock := newFakeClock()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newReplyCache(time.Hour, budget)
	reply := make([]byte, 38)
	for i := range 4 * budget / (entryOverhead + len(reply)) {
		k := testKey(uint16(i), byte(i>>16))
		k.auth[0], k.auth[1], k.auth[2] = byte(i), byte(i>>8), byte(i>>16)
		c.begin(k, clock.Now())
		c.finish(k, reply, clock.Now())
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, octets := c.size()
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > budget || octets > budget {
		t.Errorf("%d entries hold %d octets of heap, %d charged; want both within the budget %d", n, held, octets, budget)
	}
	runtime.KeepAlive(c)
}
