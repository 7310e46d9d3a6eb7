package radius

import (
	"context"
	"net/netip"
	"time"
)

// job is a datagram admitted to the queue.
type job struct {
	src      netip.AddrPort
	client   *entry
	packet   []byte
	key      cacheKey
	received time.Time
}

// receive runs on the reading goroutine and does only cheap work: the size
// check, the client lookup, the reply cache and the rate limit. What passes
// is queued for a worker, or dropped when the queue is full.
func (s *Server) receive(conn packetConn, queue chan<- job, b []byte, src netip.AddrPort) {
	now := s.now()
	if len(b) > MaxPacketLength {
		s.dropped(src, nil, DropOversized)
		return
	}
	if len(b) >= HeaderLength {
		s.metrics.requests[b[0]].Add(1)
	}
	cl := s.clients.Load().lookup(src.Addr())
	if cl == nil {
		s.dropped(src, nil, DropUnknownClient)
		return
	}
	if len(b) < HeaderLength {
		s.dropped(src, cl, DropMalformed)
		return
	}
	key := cacheKey{src: src, id: b[1], auth: [AuthenticatorLength]byte(b[4:20])}
	if !s.admit(conn, key, cl, b, now) {
		return
	}
	j := job{src: src, client: cl, packet: append([]byte(nil), b...), key: key, received: now}
	select {
	case queue <- j:
	default:
		s.cache.abandon(key)
		s.dropped(src, cl, DropOverload)
	}
}

// admit consults the reply cache and the client's rate limit. It answers a
// retransmission itself and reports whether the datagram is new work.
func (s *Server) admit(conn packetConn, key cacheKey, cl *entry, b []byte, now time.Time) bool {
	state, cached := s.cache.begin(key, b, now)
	switch state {
	case cacheHit:
		s.metrics.retransmits.Add(1)
		if err := conn.write(cached, key.src); err != nil {
			s.log.Debug("radius: cannot resend reply", "src", key.src.String(), "err", err)
		}
		return false
	case cacheInFlight:
		s.dropped(key.src, cl, DropDuplicate)
		return false
	case cacheConflict:
		s.dropped(key.src, cl, DropConflict)
		return false
	case cacheFull:
		s.dropped(key.src, cl, DropCacheFull)
		return false
	}
	if !cl.limiter.allow(now) {
		s.cache.abandon(key)
		s.dropped(key.src, cl, DropRateLimited)
		return false
	}
	return true
}

// serveJob answers one queued request, caches and sends the reply.
func (s *Server) serveJob(conn packetConn, j job) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	out, drop := s.handleSafely(ctx, j)
	if out == nil {
		s.cache.abandon(j.key)
		s.metrics.drop(drop)
		return
	}
	now := s.now()
	s.cache.finish(j.key, out, now)
	s.metrics.observe(now.Sub(j.received))
	if err := conn.write(out, j.src); err != nil {
		s.log.Debug("radius: cannot send reply", "src", j.src.String(), "err", err)
	}
}

// handleSafely is handle with a panic turned into a dropped request, so that
// one bad request cannot take the daemon down.
func (s *Server) handleSafely(ctx context.Context, j job) (out []byte, drop DropReason) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("radius: panic while handling a request", "nas", j.client.Name, "src", j.src.String(), "panic", v)
			out, drop = nil, DropInternal
		}
	}()
	return s.handle(ctx, j.src, j.client, j.packet)
}

// dropped counts and logs a datagram dropped before it reached a worker.
func (s *Server) dropped(src netip.AddrPort, cl *entry, r DropReason) {
	s.metrics.drop(r)
	s.logDrop(src, cl, r)
}
