// Package radproxy forwards logins to legacy RADIUS servers (RFC 2865) for
// users who have not moved to otpgate yet: the RSA, NPS or FreeRADIUS
// server a site is migrating off. A [Client] sends a new Access-Request of
// its own to each server in turn, with the legacy servers' shared secret:
// the User-Password encrypted for it, a Message-Authenticator first
// (RFC 3579 section 3.2), the NAS's other attributes copied. It retries a
// silent server, then fails over to the next, and tries a server that
// stayed silent last for a while.
//
// An Access-Challenge comes back with the legacy server's State and the
// index of the server that sent it: the answer must go to that server,
// which alone knows the State, so [Request.Server] pins it.
//
// A response is accepted only from the server's address and port, with the
// request's Identifier, a right Response Authenticator and, when present
// (always, with RequireMessageAuthenticator), a right Message-Authenticator.
package radproxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	layeh "layeh.com/radius"
)

// Defaults for a zero Config field.
const (
	DefaultTimeout  = 3 * time.Second
	DefaultTries    = 2
	DefaultDeadTime = 30 * time.Second
)

// Config is one group of legacy servers that share a secret.
type Config struct {
	Name    string           // for errors and logs
	Servers []netip.AddrPort // in order of preference
	Secret  []byte
	Timeout time.Duration // per try
	Tries   int           // per server
	// DeadTime is how long a server that answered no try is tried after
	// the others.
	DeadTime time.Duration
	// RequireMessageAuthenticator refuses responses without one
	// (BlastRADIUS, CVE-2024-3596). Servers older than the 2024 fixes,
	// such as Debian 12's FreeRADIUS 3.2.1, send none.
	RequireMessageAuthenticator bool
}

// Client forwards to one group. It is safe for concurrent use.
type Client struct {
	cfg Config
	now func() time.Time

	mu   sync.Mutex
	dead []time.Time // by server: tried last until then
}

// New checks cfg and returns its client; now is the clock of DeadTime.
func New(cfg Config, now func() time.Time) (*Client, error) {
	if len(cfg.Servers) == 0 || len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("radproxy: %s: no servers or no secret", cfg.Name)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Tries <= 0 {
		cfg.Tries = DefaultTries
	}
	if cfg.DeadTime <= 0 {
		cfg.DeadTime = DefaultDeadTime
	}
	return &Client{cfg: cfg, now: now, dead: make([]time.Time, len(cfg.Servers))}, nil
}

// Request is a login to forward.
type Request struct {
	User     string
	Password []byte // the User-Password to send, in clear
	// State, when set, answers the Access-Challenge of server Server.
	State  []byte
	Server int
	// Attributes of the NAS's request to pass on (NAS-IP-Address,
	// Calling-Station-Id, ...). Those the client writes itself, and those
	// that only mean something hop by hop, are dropped.
	Attributes layeh.Attributes
}

// Response is the legacy server's answer.
type Response struct {
	Code   layeh.Code // Access-Accept, Access-Reject or Access-Challenge
	Server int        // the index of the server that answered
	State  []byte     // of an Access-Challenge
	// Attributes are the reply's, without Message-Authenticator,
	// Proxy-State and State.
	Attributes layeh.Attributes
}

// ErrNoAnswer means that no server answered; the login cannot be decided.
var ErrNoAnswer = errors.New("radproxy: no legacy server answered")

// Exchange forwards req and returns the first answer, trying each server
// (only req.Server for an answer to a challenge) Tries times.
func (c *Client) Exchange(ctx context.Context, req Request) (Response, error) {
	p, err := c.packet(req)
	if err != nil {
		return Response{}, err
	}
	order := c.order()
	if req.State != nil {
		if req.Server < 0 || req.Server >= len(c.cfg.Servers) {
			return Response{}, fmt.Errorf("radproxy: %s: no server #%d to answer a challenge of", c.cfg.Name, req.Server)
		}
		order = []int{req.Server}
	}
	var errs []error
	for _, i := range order {
		resp, err := c.exchange(ctx, i, p)
		if err == nil {
			c.markAlive(i)
			resp.Server = i
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		c.markDead(i)
		errs = append(errs, err)
	}
	return Response{}, fmt.Errorf("%w (%s): %w", ErrNoAnswer, c.cfg.Name, errors.Join(errs...))
}

// order returns the servers' indexes: those not dead in their order, then
// the dead ones.
func (c *Client) order() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var alive, dead []int
	for i, until := range c.dead {
		if now.Before(until) {
			dead = append(dead, i)
		} else {
			alive = append(alive, i)
		}
	}
	return append(alive, dead...)
}

func (c *Client) markDead(i int) {
	c.mu.Lock()
	c.dead[i] = c.now().Add(c.cfg.DeadTime)
	c.mu.Unlock()
}

func (c *Client) markAlive(i int) {
	c.mu.Lock()
	c.dead[i] = time.Time{}
	c.mu.Unlock()
}

// hopByHop are the attributes a forwarded request never copies: the client
// writes User-Name, User-Password and State itself, computes its own
// Message-Authenticator, and Proxy-State belongs to the NAS's hop.
var hopByHop = map[layeh.Type]bool{
	typeUserName: true, typeUserPassword: true, typeCHAPPassword: true, typeState: true,
	typeProxyState: true, typeMessageAuthenticator: true, typeEAPMessage: true,
}

// packet builds the request: a random Identifier and Request
// Authenticator, the Message-Authenticator first.
func (c *Client) packet(req Request) (*layeh.Packet, error) {
	p := &layeh.Packet{Code: layeh.CodeAccessRequest, Secret: c.cfg.Secret}
	var id [1]byte
	rand.Read(id[:])
	rand.Read(p.Authenticator[:])
	p.Identifier = id[0]
	pw, err := layeh.NewUserPassword(req.Password, c.cfg.Secret, p.Authenticator[:])
	if err != nil || len(req.User) == 0 || len(req.User) > maxString || len(req.State) > maxString {
		return nil, fmt.Errorf("radproxy: %s: the user name, password or state does not fit a RADIUS attribute", c.cfg.Name)
	}
	p.Add(typeMessageAuthenticator, make(layeh.Attribute, 16))
	p.Add(typeUserName, layeh.Attribute(req.User))
	p.Add(typeUserPassword, pw)
	if req.State != nil {
		p.Add(typeState, layeh.Attribute(req.State))
	}
	for _, a := range req.Attributes {
		if !hopByHop[a.Type] {
			p.Attributes = append(p.Attributes, a)
		}
	}
	return p, nil
}
