package radius

import (
	"sync/atomic"
	"time"

	layeh "layeh.com/radius"
)

// DropReason says why a datagram got no answer.
type DropReason int

const (
	notDropped                      DropReason = iota // the zero value: answered
	DropMalformed                                     // bad framing or a repeated single attribute
	DropOversized                                     // longer than MaxPacketLength
	DropTooManyAttributes                             // more than MaxAttributes: an attribute bomb
	DropUnknownClient                                 // the source is no client's
	DropUnsupportedCode                               // not an Access-Request or Status-Server
	DropMissingMessageAuthenticator                   // required and absent
	DropBadMessageAuthenticator                       // present and wrong (often a wrong shared secret)
	DropDuplicate                                     // a retransmit of a request still being processed
	DropRateLimited                                   // the client is over its rate limit
	DropOverload                                      // the queue is full
	DropCacheFull                                     // the reply cache holds only requests in flight
	DropServiceError                                  // the login service failed; the NAS may fail over
	DropInternal                                      // a bug: an encoding error or a recovered panic
	DropUnsignedProxyState                            // Proxy-State in a request without Message-Authenticator
	DropUnauthenticatedRateLimited                    // the client is over its limit for requests without Message-Authenticator
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"none", "malformed", "oversized", "too_many_attributes", "unknown_client", "unsupported_code",
	"missing_message_authenticator", "bad_message_authenticator", "duplicate",
	"rate_limited", "overload", "cache_full", "service_error", "internal",
	"proxy_state_without_message_authenticator", "rate_limited_unauthenticated",
}

// String returns the reason as a metric label value.
func (r DropReason) String() string {
	if r > notDropped && r < numDropReasons {
		return dropNames[r]
	}
	return "unknown"
}

// LatencyBuckets are the upper bounds of the latency histogram.
var LatencyBuckets = []time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second,
}

// Snapshot is a copy of the server's counters, for export as metrics.
type Snapshot struct {
	// Requests counts datagrams of at least a header by packet code
	// ("Access-Request", "Status-Server", "Code(4)", ...).
	Requests    map[string]uint64
	Accepts     uint64 // Access-Accepts sent for logins (not for Status-Server)
	Rejects     uint64
	Challenges  uint64
	StatusReply uint64 // Status-Server requests answered
	Retransmits uint64 // answered again from the reply cache
	// Evictions counts replies dropped from a full reply cache before
	// ReplyTTL: when it grows, raise ReplyCacheBytes.
	Evictions uint64
	// Drops counts datagrams left unanswered, by DropReason.String(); every
	// reason is present.
	Drops   map[string]uint64
	Latency Histogram // from receipt to reply, for answered requests
}

// Histogram is a latency histogram in the Prometheus layout: Counts[i] is
// the number of observations <= Bounds[i], cumulative; Count includes the
// ones above the last bound.
type Histogram struct {
	Bounds []time.Duration
	Counts []uint64
	Count  uint64
	Sum    time.Duration
}

// metrics holds the counters; all fields are updated atomically.
type metrics struct {
	requests    [256]atomic.Uint64
	accepts     atomic.Uint64
	rejects     atomic.Uint64
	challenges  atomic.Uint64
	status      atomic.Uint64
	retransmits atomic.Uint64
	drops       [numDropReasons]atomic.Uint64
	buckets     []atomic.Uint64 // one per LatencyBuckets entry, plus +Inf
	sumNanos    atomic.Int64
}

func newMetrics() *metrics {
	return &metrics{buckets: make([]atomic.Uint64, len(LatencyBuckets)+1)}
}

func (m *metrics) drop(r DropReason) { m.drops[r].Add(1) }

func (m *metrics) observe(d time.Duration) {
	i := 0
	for i < len(LatencyBuckets) && d > LatencyBuckets[i] {
		i++
	}
	m.buckets[i].Add(1)
	m.sumNanos.Add(int64(d))
}

// outcome counts a reply by its code.
func (m *metrics) outcome(code layeh.Code, status bool) {
	switch {
	case status:
		m.status.Add(1)
	case code == layeh.CodeAccessAccept:
		m.accepts.Add(1)
	case code == layeh.CodeAccessReject:
		m.rejects.Add(1)
	case code == layeh.CodeAccessChallenge:
		m.challenges.Add(1)
	}
}

func (m *metrics) snapshot() Snapshot {
	s := Snapshot{
		Requests:    make(map[string]uint64),
		Accepts:     m.accepts.Load(),
		Rejects:     m.rejects.Load(),
		Challenges:  m.challenges.Load(),
		StatusReply: m.status.Load(),
		Retransmits: m.retransmits.Load(),
		Drops:       make(map[string]uint64, numDropReasons),
	}
	for c := range m.requests {
		if n := m.requests[c].Load(); n > 0 {
			s.Requests[layeh.Code(c).String()] = n
		}
	}
	for r := DropMalformed; r < numDropReasons; r++ {
		s.Drops[r.String()] = m.drops[r].Load()
	}
	s.Latency = m.histogram()
	return s
}

func (m *metrics) histogram() Histogram {
	h := Histogram{
		Bounds: append([]time.Duration(nil), LatencyBuckets...),
		Counts: make([]uint64, len(LatencyBuckets)),
		Sum:    time.Duration(m.sumNanos.Load()),
	}
	var cum uint64
	for i := range LatencyBuckets {
		cum += m.buckets[i].Load()
		h.Counts[i] = cum
	}
	h.Count = cum + m.buckets[len(LatencyBuckets)].Load()
	return h
}
