package radius

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestReplyCache(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(10*time.Second, 100)
	key := cacheKey{src: testSrc, id: 7, auth: [16]byte{1, 2, 3}}
	req, reply := []byte("request"), []byte("reply")

	if st, _ := c.begin(key, req, clock.Now()); st != cacheNew {
		t.Fatalf("first begin = %v; want cacheNew", st)
	}
	if st, _ := c.begin(key, req, clock.Now()); st != cacheInFlight {
		t.Errorf("begin while in flight = %v; want cacheInFlight", st)
	}
	c.finish(key, reply, clock.Now())
	clock.Advance(9 * time.Second)
	if st, got := c.begin(key, req, clock.Now()); st != cacheHit || !bytes.Equal(got, reply) {
		t.Errorf("begin after finish = %v, %q; want cacheHit, %q", st, got, reply)
	}
	if st, _ := c.begin(key, []byte("other content"), clock.Now()); st != cacheConflict {
		t.Errorf("begin with other content = %v; want cacheConflict", st)
	}
	other := key
	other.id++
	if st, _ := c.begin(other, req, clock.Now()); st != cacheNew {
		t.Errorf("begin with another Identifier = %v; want cacheNew", st)
	}
	other = key
	other.src = netip.MustParseAddrPort("127.0.0.1:40001")
	if st, _ := c.begin(other, req, clock.Now()); st != cacheNew {
		t.Errorf("begin from another port = %v; want cacheNew", st)
	}
	clock.Advance(time.Second)
	if st, _ := c.begin(key, req, clock.Now()); st != cacheNew {
		t.Errorf("begin after the TTL = %v; want cacheNew", st)
	}
}

func TestReplyCacheAbandon(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(time.Second, 100)
	key := cacheKey{src: testSrc, id: 1}
	c.begin(key, nil, clock.Now())
	c.abandon(key)
	if st, _ := c.begin(key, nil, clock.Now()); st != cacheNew {
		t.Errorf("begin after abandon = %v; want cacheNew", st)
	}
	c.finish(key, []byte("r"), clock.Now())
	c.abandon(key) // too late: a finished reply stays
	if st, _ := c.begin(key, nil, clock.Now()); st != cacheHit {
		t.Errorf("begin after a late abandon = %v; want cacheHit", st)
	}
}

func TestReplyCacheBounded(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(time.Minute, 3)
	keys := make([]cacheKey, 3)
	for i := range keys {
		keys[i] = cacheKey{src: testSrc, id: byte(i)}
		c.begin(keys[i], nil, clock.Now())
		clock.Advance(time.Second)
	}
	c.finish(keys[1], []byte("r1"), clock.Now())
	c.finish(keys[0], []byte("r0"), clock.Now())
	// Full: the oldest finished reply (keys[1], finished first) makes room.
	if st, _ := c.begin(cacheKey{src: testSrc, id: 9}, nil, clock.Now()); st != cacheNew {
		t.Errorf("begin on a full cache = %v; want cacheNew after an eviction", st)
	}
	if st, _ := c.begin(keys[0], nil, clock.Now()); st != cacheHit {
		t.Errorf("begin(keys[0]) = %v; want cacheHit: the newer reply stays", st)
	}
	// keys[1] was evicted: it is new work again, and evicts keys[0].
	if st, _ := c.begin(keys[1], nil, clock.Now()); st != cacheNew {
		t.Errorf("begin(evicted keys[1]) = %v; want cacheNew", st)
	}
	// Now all three entries are in flight: nothing can go.
	if st, _ := c.begin(cacheKey{src: testSrc, id: 11}, nil, clock.Now()); st != cacheFull {
		t.Errorf("begin with every entry in flight = %v; want cacheFull", st)
	}
	if n, size := c.evictions(), c.size(); n != 2 || size != 3 {
		t.Errorf("evictions(), size() = %d, %d; want 2, 3", n, size)
	}
}

func TestReplyCacheCompacts(t *testing.T) {
	clock := newFakeClock()
	c := newReplyCache(time.Second, 1<<20)
	for i := range 5000 {
		k := cacheKey{src: netip.AddrPortFrom(testSrc.Addr(), uint16(i)), id: byte(i)}
		c.begin(k, nil, clock.Now())
		c.finish(k, []byte("r"), clock.Now())
		clock.Advance(time.Millisecond)
	}
	if n := c.size(); n > 1001 {
		t.Errorf("size() = %d after 5 s of 1000/s with a 1 s TTL; want <= 1001", n)
	}
	if len(c.queue) > 3000 {
		t.Errorf("queue holds %d records; want it compacted", len(c.queue))
	}
}
