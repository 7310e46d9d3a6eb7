package directory

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// A server that failed is tried after the others until its back-off has
// passed: 500 ms after the first failure, doubling up to 30 s. It is never
// skipped altogether, so that a login is not refused while every server is
// backing off and one of them is already up again.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// server is one of the configured URLs and its back-off state.
type server struct {
	url      string
	ldaps    bool
	startTLS bool
	host     string
	addr     string // host:port

	mu       sync.Mutex
	failures int
	until    time.Time
}

func parseServers(urls []string, startTLS bool) ([]*server, error) {
	if len(urls) == 0 {
		return nil, errors.New("directory: no server URL (accepted: ldaps://host, ldap://host with StartTLS)")
	}
	out := make([]*server, 0, len(urls))
	for _, raw := range urls {
		s, err := parseServer(raw, startTLS)
		if err != nil {
			return nil, fmt.Errorf("directory: URL %q: %w", raw, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseServer(raw string, startTLS bool) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("not a server URL (accepted: ldaps://host[:port] or ldap://host[:port], nothing after the host)")
	}
	s := &server{url: raw, host: u.Hostname(), startTLS: startTLS}
	port := u.Port()
	switch u.Scheme {
	case "ldaps":
		if startTLS {
			return nil, errors.New("ldaps:// is TLS already; StartTLS is for ldap://")
		}
		s.ldaps, port = true, cmp.Or(port, ldap.DefaultLdapsPort)
	case "ldap":
		if !startTLS && !loopback(s.host) {
			return nil, errors.New("ldap:// without StartTLS would send passwords in the clear (accepted: ldaps://, StartTLS, or a loopback address)")
		}
		port = cmp.Or(port, ldap.DefaultLdapPort)
	default:
		return nil, fmt.Errorf("scheme %q is not ldap or ldaps", u.Scheme)
	}
	s.addr = net.JoinHostPort(s.host, port)
	return s, nil
}

func loopback(host string) bool {
	a, err := netip.ParseAddr(host)
	return host == "localhost" || err == nil && a.IsLoopback()
}

func (s *server) failed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	s.until = time.Now().Add(min(minBackoff<<min(s.failures-1, 10), maxBackoff))
}

func (s *server) succeeded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.until = 0, time.Time{}
}

func (s *server) backoff() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.until
}

// order returns the servers to try: those not backing off in the
// configured order, then the others, soonest back first.
func order(servers []*server) []*server {
	now := time.Now()
	type entry struct {
		s     *server
		until time.Time
	}
	es := make([]entry, len(servers))
	for i, s := range servers {
		es[i] = entry{s, s.backoff()}
		if !es[i].until.After(now) {
			es[i].until = time.Time{}
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.until.Compare(b.until) })
	out := make([]*server, len(es))
	for i, e := range es {
		out[i] = e.s
	}
	return out
}

// dial connects to the first server that answers, in [order].
func (d *Directory) dial(ctx context.Context) (*conn, error) {
	var errs []error
	for _, s := range order(d.servers) {
		c, err := d.dialServer(ctx, s)
		if err == nil {
			s.succeeded()
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.failed()
		errs = append(errs, fmt.Errorf("%s: %w", s.url, err))
	}
	return nil, fmt.Errorf("directory: no server answered: %w", errors.Join(errs...))
}

// dialServer opens one connection and secures it, all within DialTimeout.
func (d *Directory) dialServer(ctx context.Context, s *server) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout)
	defer cancel()
	raw, err := new(net.Dialer).DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	tc := d.tls.Clone()
	tc.ServerName = cmp.Or(tc.ServerName, s.host)
	if s.ldaps {
		t := tls.Client(raw, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS: %w", err)
		}
		l := ldap.NewConn(t, true)
		l.Start()
		return d.checkServer(ctx, newConn(l, s, d.cfg.BindDN == ""))
	}
	l := ldap.NewConn(raw, false)
	l.Start()
	if s.startTLS {
		if err := startTLS(ctx, l, raw, tc); err != nil {
			l.Close()
			return nil, err
		}
	}
	return d.checkServer(ctx, newConn(l, s, d.cfg.BindDN == ""))
}

// adCapability is LDAP_CAP_ACTIVE_DIRECTORY_OID ([MS-ADTS] 3.1.1.3.4.3),
// in the root DSE's supportedCapabilities of an Active Directory server.
const adCapability = "1.2.840.113556.1.4.800"

// checkServer refuses a server that cannot do what the configuration asks:
// a server without LDAP_MATCHING_RULE_IN_CHAIN evaluates it as Undefined,
// finding no group, so a deny group would go unseen.
func (d *Directory) checkServer(ctx context.Context, c *conn) (*conn, error) {
	if d.cfg.GroupMode != InChain {
		return c, nil
	}
	res, err := d.search(ctx, c, "", ldap.ScopeBaseObject, "(objectClass=*)", 1, []string{"supportedCapabilities"})
	if err == nil && (len(res.Entries) != 1 || !slices.Contains(res.Entries[0].GetAttributeValues("supportedCapabilities"), adCapability)) {
		err = errors.New("it is not Active Directory (no " + adCapability + " in its supportedCapabilities), so it cannot follow group mode in_chain: use member or memberof")
	}
	if err != nil {
		c.l.Close()
		return nil, err
	}
	return c, nil
}

// startTLS runs the StartTLS operation and handshake with ctx's deadline
// on the socket: go-ldap's handshake has none of its own.
func startTLS(ctx context.Context, l *ldap.Conn, raw net.Conn, tc *tls.Config) error {
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	l.SetTimeout(time.Until(deadline))
	err := l.StartTLS(tc)
	if !stop() {
		return ctx.Err()
	}
	raw.SetDeadline(time.Time{})
	if err != nil {
		return fmt.Errorf("StartTLS: %w", err)
	}
	return nil
}
