// Package radius is otpgate's RADIUS authentication server (RFC 2865) for
// VPN concentrators and other NASes, built for one-time codes and hardened
// against the attacks RADIUS is known for. Packets are encoded and decoded
// with layeh.com/radius; the server loop is this package's own.
//
// Use [NewClients] to build the table of NAS clients, [New] to make a
// [Server] that answers through the login service (auth.Service), and [Server.Serve] on a
// UDP socket. [Server.SetClients] reloads the clients without closing the
// socket; [Server.Shutdown] stops reading and drains the requests in flight;
// [Server.Metrics] returns the counters.
//
// What the server does, rule by rule:
//   - Only PAP (User-Password, RFC 2865 section 5.2) carries a one-time
//     code in clear; CHAP, MS-CHAP and EAP requests get an Access-Reject.
//   - The code travels as each client's [auth.Style] says: appended to the
//     password, in a second round after an Access-Challenge whose State
//     names the challenge (RFC 2865 section 4.4), or alone.
//   - Every Access-Request must carry a valid Message-Authenticator
//     (RFC 3579 section 3.2) unless its client is marked legacy; a request
//     without one, or with a wrong one, is dropped without an answer. Every
//     reply carries one as its first attribute, the BlastRADIUS mitigation
//     (CVE-2024-3596). Proxy-State is echoed in order; a request that
//     carries it without a Message-Authenticator is dropped, as FreeRADIUS
//     3.2.5's limit_proxy_state does.
//   - A retransmission (same source, Identifier and Request Authenticator,
//     RFC 5080 section 2.2.2) gets the cached reply again and is never
//     verified twice, so that a retransmitted code is not refused as a
//     replay. A duplicate of a request still in flight is dropped. The
//     cache keeps only those keys and the encoded replies, within a budget
//     of octets; past it, the oldest reply makes room.
//   - Status-Server (RFC 5997) is answered with an Access-Accept.
//   - A bounded queue feeds a fixed pool of workers. Each client has two
//     token-bucket rate limits: one for requests its Message-Authenticator
//     proves, one for those a legacy client sends without; a forgery,
//     which fails the check on the reading goroutine, spends neither. What
//     does not fit is dropped and counted, as are malformed, oversized and
//     attribute-bombed packets.
//
// Logs name the user, the NAS and the outcome, never a password, a code or
// a secret.
//
// [RFC 2865]: https://www.rfc-editor.org/rfc/rfc2865
// [RFC 3579]: https://www.rfc-editor.org/rfc/rfc3579
// [RFC 5080]: https://www.rfc-editor.org/rfc/rfc5080
// [RFC 5997]: https://www.rfc-editor.org/rfc/rfc5997
package radius

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"otpgate.dev/otpgate/internal/auth"
)

// ErrServerClosed is returned by [Server.Serve] after [Server.Shutdown].
var ErrServerClosed = errors.New("radius: server closed")

// Service is the part of the login service (auth.Service) the RADIUS
// server calls.
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

// Config configures a [Server]. Zero fields take the Default* values.
type Config struct {
	Service Service      // required
	Clients *Clients     // nil means none: every request is dropped
	Logger  *slog.Logger // nil discards logs

	Workers         int           // requests processed at once
	QueueSize       int           // requests waiting for a worker
	ReplyTTL        time.Duration // how long a reply is kept for retransmissions
	ReplyCacheBytes int           // the reply cache's budget: replies and their bookkeeping; the oldest reply makes room
	RequestTimeout  time.Duration // deadline for one call to the login service

	// Now is the clock for the reply cache, the rate limits and challenge
	// timeouts; nil means time.Now.
	Now func() time.Time
}

// Server is a RADIUS authentication server. Its methods are safe for
// concurrent use; Serve may be called once.
type Server struct {
	service   Service
	log       *slog.Logger
	now       func() time.Time
	clients   atomic.Pointer[Clients]
	cache     *replyCache
	metrics   *metrics
	warnLimit *bucket
	workers   int
	queueSize int
	timeout   time.Duration

	ctx    context.Context // parent of every service call; cancelled when a shutdown gives up
	cancel context.CancelFunc
	done   chan struct{} // closed when Serve has drained its workers

	mu        sync.Mutex
	conn      packetConn
	closing   bool
	closeOnce sync.Once
	closeErr  error
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("radius: no login service")
	}
	s := &Server{
		service:   cfg.Service,
		log:       cfg.Logger,
		now:       cfg.Now,
		metrics:   newMetrics(),
		workers:   orDefault(cfg.Workers, DefaultWorkers),
		queueSize: orDefault(cfg.QueueSize, DefaultQueueSize),
		timeout:   orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		done:      make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.cache = newReplyCache(orDefault(cfg.ReplyTTL, DefaultReplyTTL), orDefault(cfg.ReplyCacheBytes, DefaultReplyCacheBytes))
	s.warnLimit, _ = newBucket(RateLimit{PerSecond: 1, Burst: 10}, RateLimit{})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.SetClients(cfg.Clients)
	return s, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// SetClients replaces the client table, for a reload (SIGHUP). Requests
// already queued finish with the client they arrived from; rate-limit
// buckets start afresh. A nil table drops every request.
func (s *Server) SetClients(c *Clients) {
	if c == nil {
		c = &Clients{}
	}
	for _, e := range c.list {
		if e.AllowMissingMessageAuthenticator {
			s.log.Warn("radius: client may omit Message-Authenticator: open to BlastRADIUS (CVE-2024-3596) forgeries; upgrade the NAS", "nas", e.Name)
		}
		if len(e.Secret) < 16 {
			s.log.Warn("radius: shared secret is shorter than 16 octets (RFC 2865 section 3)", "nas", e.Name)
		}
	}
	s.clients.Store(c)
}

// Metrics returns a copy of the counters.
func (s *Server) Metrics() Snapshot {
	m := s.metrics.snapshot()
	m.Evictions = s.cache.evictions()
	return m
}

// Serve answers requests arriving on conn until [Server.Shutdown], then
// returns ErrServerClosed after the requests in flight are done. Any other
// read error stops it too and is returned. Serve owns conn: Shutdown closes
// it, and a Serve called after Shutdown (or a second time) closes it at once.
func (s *Server) Serve(conn net.PacketConn) error {
	pc := adapt(conn)
	s.mu.Lock()
	if s.closing || s.conn != nil {
		s.mu.Unlock()
		conn.Close()
		return ErrServerClosed
	}
	s.conn = pc
	s.mu.Unlock()

	queue := make(chan job, s.queueSize)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for j := range queue {
				s.serveJob(pc, j)
			}
		})
	}
	err := s.read(pc, queue)
	close(queue)
	wg.Wait()
	close(s.done)
	return err
}

// Shutdown stops reading, lets the workers answer every request already
// received, and closes the socket. If ctx ends first it cancels the
// service calls in flight, closes the socket and returns ctx's error.
// Calling it again waits again and returns nil once the socket is closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		s.cancel()
		return nil
	}
	conn.SetReadDeadline(time.Now())
	select {
	case <-s.done:
		s.cancel()
		return s.closeConn(conn)
	case <-ctx.Done():
		s.cancel()
		s.closeConn(conn)
		return ctx.Err()
	}
}

func (s *Server) closeConn(conn packetConn) error {
	s.closeOnce.Do(func() { s.closeErr = conn.Close() })
	return s.closeErr
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// read receives datagrams until the server closes.
func (s *Server) read(conn packetConn, queue chan<- job) error {
	buf := make([]byte, MaxPacketLength+1) // one more, to see oversized datagrams
	for {
		n, src, err := conn.read(buf)
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			return err
		}
		s.receive(conn, queue, buf[:n], src)
	}
}

// packetConn is the socket, by netip.AddrPort.
type packetConn interface {
	read(b []byte) (int, netip.AddrPort, error)
	write(b []byte, to netip.AddrPort) error
	SetReadDeadline(t time.Time) error
	Close() error
}

func adapt(c net.PacketConn) packetConn {
	if u, ok := c.(*net.UDPConn); ok {
		return udpConn{u}
	}
	return genericConn{c}
}

type udpConn struct{ *net.UDPConn }

func (c udpConn) read(b []byte) (int, netip.AddrPort, error) { return c.ReadFromUDPAddrPort(b) }

func (c udpConn) write(b []byte, to netip.AddrPort) error {
	_, err := c.WriteToUDPAddrPort(b, to)
	return err
}

type genericConn struct{ net.PacketConn }

func (c genericConn) read(b []byte) (int, netip.AddrPort, error) {
	n, addr, err := c.ReadFrom(b)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	ap, _ := netip.ParseAddrPort(addr.String()) // an unparsable source matches no client
	return n, ap, nil
}

func (c genericConn) write(b []byte, to netip.AddrPort) error {
	_, err := c.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}
