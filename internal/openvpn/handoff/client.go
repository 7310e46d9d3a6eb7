package handoff

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"otpgate.dev/otpgate/internal/auth"
)

// ErrNoDaemon is Dial's answer when no daemon listens on the socket (it is
// absent, or refuses): the hook opens the store itself.
var ErrNoDaemon = errors.New("handoff: no otpgate serve on the hook socket")

// ErrMismatch is Dial's answer when the daemon serves another site or
// another policy than the hook's: the hook opens the store itself.
var ErrMismatch = errors.New("handoff: otpgate serve answers with other settings")

// Client is a hook's connection to the daemon. It implements the login
// service's Authenticate and Active; any failure is an error, which the
// hook turns into a refusal.
type Client struct {
	c net.Conn
}

// Dial connects to the daemon at path and says which site and settings p
// the hook would apply. Errors other than ErrNoDaemon and ErrMismatch mean
// a daemon is there but the exchange failed: the hook must refuse.
func Dial(ctx context.Context, path string, p Params) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, ErrNoDaemon
	}
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	cl := &Client{c: c}
	m, err := cl.ask(ctx, helloMessage(p))
	if err == nil {
		switch m.kind {
		case kindOK:
			return cl, nil
		case kindMismatch:
			err = fmt.Errorf("%w: %s", ErrMismatch, m.fields[0])
		default:
			err = unexpected(m)
		}
	}
	c.Close()
	return nil, err
}

// connTimeout also bounds a hook's wait: OpenVPN waits for its script.
func (cl *Client) ask(ctx context.Context, m message) (message, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(connTimeout)
	}
	cl.c.SetDeadline(dl)
	if err := write(cl.c, m); err != nil {
		return message{}, fmt.Errorf("handoff: %w", err)
	}
	a, err := read(cl.c)
	if err != nil {
		return message{}, fmt.Errorf("handoff: the daemon's answer: %w", err)
	}
	return a, nil
}

func unexpected(m message) error {
	if m.kind == kindError {
		return fmt.Errorf("handoff: the daemon: %s", m.fields[0])
	}
	return fmt.Errorf("%w: unexpected %q", errFrame, m.kind)
}

// Authenticate hands req to the daemon's login service.
func (cl *Client) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	m, err := cl.ask(ctx, authMessage(req))
	if err != nil {
		return auth.Response{}, err
	}
	if m.kind != kindResponse {
		return auth.Response{}, unexpected(m)
	}
	return parseResponse(m)
}

// Active asks the daemon whether user may still log in.
func (cl *Client) Active(ctx context.Context, user string) (bool, error) {
	m, err := cl.ask(ctx, message{kindActive, []string{user}})
	if err != nil {
		return false, err
	}
	if m.kind != kindIsActive || (m.fields[0] != "0" && m.fields[0] != "1") {
		return false, unexpected(m)
	}
	return m.fields[0] == "1", nil
}

// Close ends the connection.
func (cl *Client) Close() error { return cl.c.Close() }
