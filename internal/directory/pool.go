package directory

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// maxConnAge retires a connection, so that after a fail-over the pool
// returns to the first server within minutes.
const maxConnAge = 5 * time.Minute

var errClosed = errors.New("directory: closed")

// conn is one pooled connection, used by one goroutine at a time.
type conn struct {
	l      *ldap.Conn
	server *server
	born   time.Time
	// service: bound as the service account (or anonymous when there is
	// none), so it may search; a user's bind clears it.
	service bool
	broken  bool // closed, timed out or failed: never reused
}

func newConn(l *ldap.Conn, s *server, anonymousService bool) *conn {
	return &conn{l: l, server: s, born: time.Now(), service: anonymousService}
}

// do runs op with timeout as the request timeout, closing the connection if
// ctx ends first. A network error, a timeout or a server that says it is
// busy or unavailable breaks the connection and counts against its server.
func (c *conn) do(ctx context.Context, timeout time.Duration, op func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.l.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { c.l.Close() })
	err := op()
	if !stop() {
		c.broken = true
		return ctx.Err()
	}
	if err != nil && breaks(err) {
		c.broken = true
		c.server.failed()
	}
	return err
}

// breaks reports whether err leaves the connection unusable.
func breaks(err error) bool {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return true
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.ErrorUnexpectedMessage, ldap.ErrorUnexpectedResponse,
		ldap.LDAPResultOperationsError, ldap.LDAPResultProtocolError,
		ldap.LDAPResultBusy, ldap.LDAPResultUnavailable, ldap.LDAPResultOther:
		return true
	}
	return false
}

func (c *conn) usable() bool {
	return !c.broken && !c.l.IsClosing() && time.Since(c.born) < maxConnAge
}

// pool holds at most size connections, in use or idle.
type pool struct {
	slots chan struct{} // one token per connection in use or being dialed
	dial  func(context.Context) (*conn, error)

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

func newPool(size int, dial func(context.Context) (*conn, error)) *pool {
	return &pool{slots: make(chan struct{}, size), dial: dial}
}

// get returns an idle connection (reused true) or a new one, waiting for a
// free slot as long as ctx allows.
func (p *pool) get(ctx context.Context) (c *conn, reused bool, err error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	for {
		c, err := p.pop()
		if err != nil {
			<-p.slots
			return nil, false, err
		}
		if c == nil {
			break
		}
		if c.usable() {
			return c, true, nil
		}
		c.l.Close()
	}
	c, err = p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	return c, false, nil
}

func (p *pool) pop() (*conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if len(p.idle) == 0 {
		return nil, nil
	}
	c := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return c, nil
}

// put returns c to the pool, or closes it if it is not fit for reuse.
func (p *pool) put(c *conn) {
	p.mu.Lock()
	keep := !p.closed && c.usable()
	if keep {
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	if !keep {
		c.l.Close()
	}
	<-p.slots
}

func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.l.Close()
	}
}

// run calls fn on a pooled connection. When fn fails because a reused
// connection had died while idle (the server restarted), it runs fn once
// more on a new connection.
func (d *Directory) run(ctx context.Context, fn func(*conn) error) error {
	for attempt := 0; ; attempt++ {
		c, reused, err := d.pool.get(ctx)
		if err != nil {
			return err
		}
		err = fn(c)
		d.pool.put(c)
		if err == nil || !c.broken || !reused || attempt > 0 || ctx.Err() != nil {
			return err
		}
	}
}
