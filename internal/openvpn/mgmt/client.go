package mgmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"otpgate.dev/otpgate/internal/openvpn"
)

// AutoAttempts is how many codes Client takes from Code before it asks the
// user through Prompt, as OpenConnect does with a token.
const AutoAttempts = 2

// ErrGaveUp is returned by Client.Run when no code is left to try.
var ErrGaveUp = errors.New("mgmt: no code left to try")

// ErrPasswordRefused is returned by Client.Run when the server refused the
// password sent alone, before asking for a code, more than AutoAttempts
// times in a row: a refusal can be passing (a server whose login service
// is restarting), but a wrong password would be sent forever.
var ErrPasswordRefused = errors.New("mgmt: the server refused the password before asking for a code")

// Client drives a local OpenVPN client through its management interface,
// answering its credential prompts and challenges. Start OpenVPN with
// [ClientFlags]. The fields are read-only once Run starts.
type Client struct {
	Username string
	Password string // the primary password; unused with StyleCode
	// Style says what a plain username/password prompt gets: the password
	// and the code (StyleAppend), the code alone (StyleCode), or the password
	// alone, the code following in a challenge (any other style). A static
	// challenge, a CRV1 challenge and a crtext challenge are answered
	// whatever the style.
	Style openvpn.Style
	// Code returns a code for attempt 1 and 2 of a connection, e.g. from
	// client.Token.Codes; a TOTP caller should wait for the next period on
	// attempt 2, as the first code may have been used.
	Code func(ctx context.Context, attempt int) (string, error)
	// Prompt asks the user from the third attempt on, or when Code is nil.
	// nil gives up instead.
	Prompt func(ctx context.Context, text string, echo bool) (string, error)
	// ManagementPassword answers the interface's password prompt, if any.
	ManagementPassword string
	// OnConnected is called each time the client reports CONNECTED.
	OnConnected func()
	Log         *slog.Logger
}

// ClientFlags returns the openvpn options that hand the credentials to a
// Client listening on the management interface at addr (an absolute Unix
// socket path, or host:port), announce crtext support and retry after a
// dynamic challenge.
func ClientFlags(addr string) []string {
	mgmt := []string{"--management", addr, "unix"}
	if !strings.HasPrefix(addr, "/") {
		host, port, _ := net.SplitHostPort(addr)
		mgmt = []string{"--management", host, port}
	}
	return append(mgmt,
		"--management-query-passwords", "--management-hold",
		"--auth-user-pass", "--auth-retry", "interact",
		"--setenv", openvpn.EnvIVSSO, openvpn.MethodCRText)
}

// clientSession is the state of one Run.
type clientSession struct {
	c        *Client
	conn     net.Conn
	log      *slog.Logger
	attempts int           // codes used since the last CONNECTED
	crv1     *openvpn.CRV1 // the dynamic challenge to answer at the next prompt
	ever     bool          // reached CONNECTED at least once
	failed   bool          // the last attempt was refused
	bare     bool          // the password went alone and no code followed yet
	bareNo   int           // refusals of the password alone in a row
}

// Run answers the client until the management connection closes (OpenVPN
// exited) or ctx is done. It returns nil if OpenVPN exited after connecting
// and without a refused login, ctx.Err() when ctx is done, and an error
// saying what went wrong otherwise. When it cannot answer a prompt it asks
// OpenVPN to exit (signal SIGTERM) and returns the reason: an error wrapping
// ErrGaveUp when it ran out of codes.
func (c *Client) Run(ctx context.Context, conn net.Conn) error {
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	log := c.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &clientSession{c: c, conn: conn, log: log}
	r := newReader(conn)
	if err := login(conn, r, c.ManagementPassword); err != nil {
		return err
	}
	if err := s.send("state on"); err != nil {
		return err
	}
	err := s.loop(ctx, r)
	if cerr := context.Cause(ctx); cerr != nil && !errors.Is(err, ErrGaveUp) {
		return cerr
	}
	return err
}

func (s *clientSession) loop(ctx context.Context, r *reader) error {
	for {
		line, err := r.line()
		if err != nil {
			return s.ended(err)
		}
		if err := s.dispatch(ctx, line); err != nil {
			// OpenVPN would wait for credentials forever.
			s.send("signal SIGTERM")
			return err
		}
	}
}

// ended explains the end of the connection.
func (s *clientSession) ended(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("mgmt: management connection: %w", err)
	}
	switch {
	case s.failed:
		return errors.New("mgmt: OpenVPN exited after the server refused the login")
	case !s.ever:
		return errors.New("mgmt: OpenVPN exited before connecting")
	}
	return nil
}

func (s *clientSession) dispatch(ctx context.Context, line string) error {
	kind, payload, _ := strings.Cut(line, ":")
	switch kind {
	case ">HOLD":
		return s.send("hold release")
	case ">PASSWORD":
		return s.password(ctx, payload)
	case ">INFOMSG":
		if strings.HasPrefix(payload, openvpn.PrefixCRText) {
			return s.crtext(ctx, payload)
		}
	case ">STATE":
		s.state(payload)
	case ">FATAL":
		s.log.Error("mgmt: OpenVPN reports a fatal error", "msg", payload)
	case "ERROR":
		s.log.Warn("mgmt: OpenVPN refused a command", "reply", payload)
	}
	return nil
}

func (s *clientSession) state(payload string) {
	st, err := ParseState(payload)
	if err != nil || st.Name != "CONNECTED" {
		return
	}
	s.ever, s.failed, s.attempts, s.bare = true, false, 0, false
	s.log.Info("mgmt: connected")
	if s.c.OnConnected != nil {
		s.c.OnConnected()
	}
}

// send writes one command. Replies are not awaited: the client side issues
// one command per prompt, and an ERROR reply is logged by dispatch.
func (s *clientSession) send(cmd string) error {
	if _, err := io.WriteString(s.conn, cmd+"\n"); err != nil {
		return fmt.Errorf("mgmt: send %s: %w", firstWord(cmd), err)
	}
	return nil
}

// code returns the next code: generated for the first AutoAttempts, then
// from the user.
func (s *clientSession) code(ctx context.Context, text string, echo bool) (string, error) {
	s.attempts++
	s.bare, s.bareNo = false, 0
	if s.c.Code != nil && s.attempts <= AutoAttempts {
		return s.c.Code(ctx, s.attempts)
	}
	if s.c.Prompt == nil {
		return "", fmt.Errorf("%w: %d refused", ErrGaveUp, s.attempts-1)
	}
	code, err := s.c.Prompt(ctx, text, echo)
	if err != nil {
		return "", fmt.Errorf("%w: prompt: %v", ErrGaveUp, err)
	}
	return strings.TrimSpace(code), nil
}
