package radius

import (
	"context"
	"net/netip"
	"time"
)

// job is a request admitted to the queue.
type job struct {
	src      netip.AddrPort
	client   *entry
	in       inbound
	key      cacheKey
	received time.Time
}

// receive runs on the reading goroutine and does only cheap work: the size
// check, the client lookup, the framing and Message-Authenticator check,
// the reply cache and the rate limit. What passes is queued for a worker,
// or dropped when the queue is full.
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
	in, drop := check(cl, b)
	if drop != notDropped {
		s.dropped(src, cl, drop)
		return
	}
	key := newCacheKey(src, in.packet)
	if !s.admit(conn, src, key, cl, in, now) {
		return
	}
	in.packet = append([]byte(nil), in.packet...)
	select {
	case queue <- job{src: src, client: cl, in: in, key: key, received: now}:
	default:
		s.cache.abandon(key)
		s.dropped(src, cl, DropOverload)
	}
}

// admit consults the reply cache and the client's rate limits. It answers a
// retransmission itself and reports whether the request is new work. Only
// new work is charged, and only to the budget its authentication earns.
func (s *Server) admit(conn packetConn, src netip.AddrPort, key cacheKey, cl *entry, in inbound, now time.Time) bool {
	state, cached := s.cache.begin(key, now)
	switch state {
	case cacheHit:
		s.metrics.retransmits.Add(1)
		if err := conn.write(cached, src); err != nil {
			s.log.Debug("radius: cannot resend reply", "src", src.String(), "err", err)
		}
		return false
	case cacheInFlight:
		s.dropped(src, cl, DropDuplicate)
		return false
	case cacheFull:
		s.dropped(src, cl, DropCacheFull)
		return false
	}
	if drop := cl.charge(in.authenticated(), now); drop != notDropped {
		s.cache.abandon(key)
		s.dropped(src, cl, drop)
		return false
	}
	return true
}

// serveJob answers one queued request, caches and sends the reply.
func (s *Server) serveJob(conn packetConn, j job) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	out, drop := s.answerSafely(ctx, j)
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

// answerSafely is answer with a panic turned into a dropped request, so
// that one bad request cannot take the daemon down.
func (s *Server) answerSafely(ctx context.Context, j job) (out []byte, drop DropReason) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("radius: panic while handling a request", "nas", j.client.Name, "src", j.src.String(), "panic", v)
			out, drop = nil, DropInternal
		}
	}()
	return s.answer(ctx, j.src, j.client, j.in)
}

// dropped counts and logs a datagram dropped before it reached a worker.
func (s *Server) dropped(src netip.AddrPort, cl *entry, r DropReason) {
	s.metrics.drop(r)
	s.logDrop(src, cl, r)
}
