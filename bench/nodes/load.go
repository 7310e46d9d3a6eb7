package main

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/otp"
)

// Attribute types the sender writes (RFC 2865, RFC 3579).
const (
	attrUserName             = 1
	attrUserPassword         = 2
	attrMessageAuthenticator = 80
)

// loadConfig is what the senders need.
type loadConfig struct {
	servers     []string // RADIUS addresses of the nodes
	secret      []byte
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	timeout     time.Duration
}

// sender sends one request at a time, each to the next node in turn, for
// its own users (every concurrency-th), each user's codes in counter order:
// every login is a valid, never used code, so every one must be accepted.
type sender struct {
	cfg      loadConfig
	conns    []net.Conn // one per node
	users    []benchUser
	counters []uint64
	next     int
	buf      []byte
	res      result
}

func newSender(cfg loadConfig, users []benchUser, i int) (*sender, error) {
	s := &sender{cfg: cfg, buf: make([]byte, 4096)}
	for j := i; j < len(users); j += cfg.concurrency {
		s.users = append(s.users, users[j])
	}
	s.counters = make([]uint64, len(s.users))
	for _, addr := range cfg.servers {
		c, err := net.Dial("udp", addr)
		if err != nil {
			s.close()
			return nil, err
		}
		s.conns = append(s.conns, c)
	}
	s.next = i // spread the senders' first requests over the nodes
	return s, nil
}

func (s *sender) close() {
	for _, c := range s.conns {
		c.Close()
	}
}

func (s *sender) run(ctx context.Context, measureFrom, end time.Time) {
	for time.Now().Before(end) && ctx.Err() == nil {
		j := s.next % len(s.users)
		conn := s.conns[s.next%len(s.conns)]
		s.next++
		u := &s.users[j]
		req := accessRequest(s.cfg.secret, u.name, otp.Generate(u.key, s.counters[j], otp.DefaultParams()))
		s.counters[j]++
		start := time.Now()
		code, err := s.exchange(conn, req)
		if start.Before(measureFrom) {
			continue
		}
		s.res.count(code, err, time.Since(start))
	}
}

// accessRequest encodes a PAP Access-Request with the Message-Authenticator
// first (RFC 3579 section 3.2) and a random Request Authenticator.
func accessRequest(secret []byte, user, password string) []byte {
	p := &layeh.Packet{Code: layeh.CodeAccessRequest, Secret: secret}
	var rnd [17]byte
	rand.Read(rnd[:])
	p.Identifier = rnd[0]
	copy(p.Authenticator[:], rnd[1:])
	enc, err := layeh.NewUserPassword([]byte(password), secret, p.Authenticator[:])
	if err != nil {
		panic(err) // a six-digit password always fits
	}
	p.Add(attrMessageAuthenticator, make(layeh.Attribute, 16))
	p.Add(attrUserName, layeh.Attribute(user))
	p.Add(attrUserPassword, enc)
	b, err := p.MarshalBinary()
	if err != nil {
		panic(err)
	}
	m := hmac.New(md5.New, secret)
	m.Write(b)
	m.Sum(b[22:22])
	return b
}

var errInvalid = errors.New("reply with a wrong Response Authenticator")

// exchange sends req once and waits for its reply; a lost one is a
// timeout, never retransmitted, so that latencies are of one round trip.
func (s *sender) exchange(conn net.Conn, req []byte) (layeh.Code, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	conn.SetReadDeadline(time.Now().Add(s.cfg.timeout))
	for {
		n, err := conn.Read(s.buf)
		if err != nil {
			return 0, err
		}
		if n < 20 || s.buf[1] != req[1] {
			continue // a late reply to an earlier request
		}
		if !layeh.IsAuthenticResponse(s.buf[:n], req, s.cfg.secret) {
			return 0, errInvalid
		}
		return layeh.Code(s.buf[0]), nil
	}
}

// result is what senders saw in the measured period.
type result struct {
	elapsed                            time.Duration
	otpgateCPU, postgresCPU            time.Duration // during the measurement, set by run
	latencies                          []time.Duration
	accepts, rejects, timeouts, errors uint64
}

func (r *result) count(code layeh.Code, err error, d time.Duration) {
	switch {
	case err != nil:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.timeouts++
		} else {
			r.errors++
		}
		return
	case code == layeh.CodeAccessAccept:
		r.accepts++
	default:
		r.rejects++
	}
	r.latencies = append(r.latencies, d)
}

func (r *result) add(o *result) {
	r.latencies = append(r.latencies, o.latencies...)
	r.accepts += o.accepts
	r.rejects += o.rejects
	r.timeouts += o.timeouts
	r.errors += o.errors
}

// load runs cfg.concurrency senders for the warm-up and the measured
// duration and merges what they saw.
func load(ctx context.Context, cfg loadConfig, users []benchUser) (*result, error) {
	if len(users) < cfg.concurrency {
		return nil, fmt.Errorf("%d users for %d senders: every sender needs users of its own", len(users), cfg.concurrency)
	}
	senders := make([]*sender, cfg.concurrency)
	for i := range senders {
		s, err := newSender(cfg, users, i)
		if err != nil {
			return nil, err
		}
		defer s.close()
		senders[i] = s
	}
	start := time.Now()
	measureFrom, end := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() { s.run(ctx, measureFrom, end) })
	}
	wg.Wait()
	res := &result{elapsed: time.Since(measureFrom)}
	for _, s := range senders {
		res.add(&s.res)
	}
	slices.Sort(res.latencies)
	return res, nil
}
