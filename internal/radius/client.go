package radius

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"otpgate.dev/otpgate/internal/auth"
)

// Client is one NAS, or a network of them, allowed to send requests.
type Client struct {
	// Name is for logs and metrics; empty means the prefix in text form.
	Name string
	// Prefix holds the NAS's source addresses: a single address is a /32 or
	// a /128. A request from an address that no client holds is dropped.
	Prefix netip.Prefix
	// Secret is the RADIUS shared secret. RFC 2865 section 3 asks for at
	// least 16 random octets.
	Secret []byte
	// Style is how this NAS's users give their code: [auth.Appended]
	// (the empty Style), [auth.Challenge] or [auth.CodeOnly].
	Style auth.Style
	// AllowMissingMessageAuthenticator accepts Access-Requests without a
	// Message-Authenticator, for a legacy NAS that cannot send one (Debian
	// 12's pam_radius_auth 2.0.0, old firewalls). It reopens BlastRADIUS
	// (CVE-2024-3596) for this client; the server warns when it loads one.
	// A Message-Authenticator that is present is always checked.
	AllowMissingMessageAuthenticator bool
	// Rate limits the requests this client may send that a valid
	// Message-Authenticator proves to come from it; a zero field means
	// [DefaultRatePerSecond] or [DefaultBurst]. A forged request, which
	// fails that check, is dropped before it is charged anything.
	Rate RateLimit
	// Unauthenticated limits, apart from Rate, the requests without a
	// Message-Authenticator that AllowMissingMessageAuthenticator lets in:
	// nothing proves who sent them, so a forger spends this budget and
	// never Rate. A zero field means [DefaultUnauthenticatedRatePerSecond]
	// or [DefaultUnauthenticatedBurst].
	Unauthenticated RateLimit
}

// RateLimit is a token bucket: PerSecond requests on average, Burst at
// once. PerSecond = math.Inf(1) turns limiting off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Clients is an immutable table of clients, looked up by the longest prefix
// that holds a source address. It is safe for concurrent use.
type Clients struct {
	v4, v6 prefixTable
	list   []*entry
}

// prefixTable maps prefix length -> prefix -> client for one address family.
type prefixTable struct {
	byBits  map[int]map[netip.Prefix]*entry
	lengths []int // the lengths present, longest first
}

// entry is a loaded client with its rate-limit buckets.
type entry struct {
	Client
	limiter         *bucket // for authenticated requests
	unauthenticated *bucket // for requests without a Message-Authenticator
}

// NewClients checks list and builds the table. It refuses an invalid or
// non-canonical prefix, a prefix listed twice, an empty secret and a style
// that RADIUS cannot carry.
func NewClients(list []Client) (*Clients, error) {
	c := &Clients{}
	for i, cl := range list {
		e, err := newEntry(cl)
		if err != nil {
			return nil, fmt.Errorf("radius: client #%d: %w", i+1, err)
		}
		if err := c.add(e); err != nil {
			return nil, fmt.Errorf("radius: client #%d: %w", i+1, err)
		}
	}
	return c, nil
}

func newEntry(cl Client) (*entry, error) {
	if !cl.Prefix.IsValid() {
		return nil, errors.New("no address or network")
	}
	if cl.Prefix.Addr().Is4In6() {
		return nil, fmt.Errorf("%s is an IPv4-mapped IPv6 network; write it as IPv4", cl.Prefix)
	}
	if m := cl.Prefix.Masked(); m != cl.Prefix {
		return nil, fmt.Errorf("%s has host bits set; did you mean %s?", cl.Prefix, m)
	}
	if len(cl.Secret) == 0 {
		return nil, fmt.Errorf("%s: empty shared secret", cl.Prefix)
	}
	switch cl.Style {
	case "":
		cl.Style = auth.Appended
	case auth.Appended, auth.Challenge, auth.CodeOnly:
	default:
		return nil, fmt.Errorf("%s: style %q is not one of %q, %q or %q", cl.Prefix, cl.Style, auth.Appended, auth.Challenge, auth.CodeOnly)
	}
	if cl.Name == "" {
		cl.Name = cl.Prefix.String()
	}
	cl.Secret = append([]byte(nil), cl.Secret...)
	lim, err := newBucket(cl.Rate, RateLimit{PerSecond: DefaultRatePerSecond, Burst: DefaultBurst})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.Prefix, err)
	}
	unauth, err := newBucket(cl.Unauthenticated, RateLimit{PerSecond: DefaultUnauthenticatedRatePerSecond, Burst: DefaultUnauthenticatedBurst})
	if err != nil {
		return nil, fmt.Errorf("%s: unauthenticated %w", cl.Prefix, err)
	}
	return &entry{Client: cl, limiter: lim, unauthenticated: unauth}, nil
}

func (c *Clients) add(e *entry) error {
	t := &c.v4
	if e.Prefix.Addr().Is6() {
		t = &c.v6
	}
	if err := t.add(e); err != nil {
		return err
	}
	c.list = append(c.list, e)
	return nil
}

func (t *prefixTable) add(e *entry) error {
	bits := e.Prefix.Bits()
	m := t.byBits[bits]
	if m == nil {
		if t.byBits == nil {
			t.byBits = make(map[int]map[netip.Prefix]*entry)
		}
		m = make(map[netip.Prefix]*entry)
		t.byBits[bits] = m
		i := 0
		for i < len(t.lengths) && t.lengths[i] > bits {
			i++
		}
		t.lengths = slices.Insert(t.lengths, i, bits)
	}
	if _, dup := m[e.Prefix]; dup {
		return fmt.Errorf("%s is listed twice", e.Prefix)
	}
	m[e.Prefix] = e
	return nil
}

func (t *prefixTable) lookup(addr netip.Addr) *entry {
	for _, bits := range t.lengths {
		p, err := addr.Prefix(bits)
		if err != nil {
			continue
		}
		if e := t.byBits[bits][p]; e != nil {
			return e
		}
	}
	return nil
}

// Lookup returns the client with the longest prefix holding addr. An
// IPv4-mapped IPv6 address (from a dual-stack socket) is looked up as IPv4.
func (c *Clients) Lookup(addr netip.Addr) (Client, bool) {
	e := c.lookup(addr)
	if e == nil {
		return Client{}, false
	}
	return e.Client, true
}

func (c *Clients) lookup(addr netip.Addr) *entry {
	if c == nil || !addr.IsValid() {
		return nil
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return c.v4.lookup(addr)
	}
	return c.v6.lookup(addr)
}

// Len returns the number of clients.
func (c *Clients) Len() int {
	if c == nil {
		return 0
	}
	return len(c.list)
}

// ParsePrefix parses a client address as written in a configuration: an
// address ("192.0.2.1", "2001:db8::1") or a network ("192.0.2.0/24").
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("radius: client %q is not an address or network (192.0.2.1, 192.0.2.0/24, 2001:db8::/32)", s)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("radius: client %q is not an address or network (192.0.2.1, 192.0.2.0/24, 2001:db8::/32)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unlimited reports whether r turns rate limiting off.
func (r RateLimit) unlimited() bool { return math.IsInf(r.PerSecond, 1) }
