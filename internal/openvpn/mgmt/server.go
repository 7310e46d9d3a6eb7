package mgmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
)

// Defaults of a Server.
const (
	DefaultMinBackoff  = 250 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultAuthTimeout = 30 * time.Second
)

// Server answers the client authentications of an OpenVPN server started
// with --management-client-auth. Its fields are read-only once Run starts.
//
// OpenVPN configuration:
//
//	management /run/openvpn/server.sock unix [pw-file]
//	management-client-auth
type Server struct {
	Auth *openvpn.Authenticator
	// Dial connects to the management interface, e.g. with [Dial].
	Dial func(ctx context.Context) (net.Conn, error)
	// Password answers the interface's password prompt, if it has one.
	Password string
	Log      *slog.Logger
	// MinBackoff and MaxBackoff bound the delay between reconnection
	// attempts; zero means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// AuthTimeout bounds one decision; zero means DefaultAuthTimeout.
	AuthTimeout time.Duration
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.Log
}

// Run serves the management interface until ctx is done, reconnecting with
// exponential backoff whenever the connection fails or OpenVPN restarts. It
// returns ctx.Err().
func (s *Server) Run(ctx context.Context) error {
	lo, hi := orDefault(s.MinBackoff, DefaultMinBackoff), orDefault(s.MaxBackoff, DefaultMaxBackoff)
	backoff := lo
	for {
		conn, err := s.Dial(ctx)
		if err == nil {
			var ready bool
			ready, err = s.serve(ctx, conn)
			if ready {
				backoff = lo
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := backoff/2 + rand.N(backoff/2+1)
		s.log().Warn("mgmt: management interface lost; reconnecting", "err", err, "in", delay.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		backoff = min(2*backoff, hi)
	}
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// Serve answers one management connection until it closes or ctx is done,
// and closes it.
func (s *Server) Serve(ctx context.Context, conn net.Conn) error {
	_, err := s.serve(ctx, conn)
	return err
}

// serve reports whether the handshake succeeded, for the backoff.
func (s *Server) serve(ctx context.Context, conn net.Conn) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	sess := &serverSession{srv: s, conn: conn, replies: make(chan string, 16), done: make(chan struct{}), pending: map[uint64]pending{}}
	defer func() {
		cancel()
		conn.Close()
		close(sess.done)
		sess.wg.Wait()
	}()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	r := newReader(conn)
	if err := login(conn, r, s.Password); err != nil {
		return false, err
	}
	s.log().Info("mgmt: connected to the management interface", "addr", conn.RemoteAddr().String())
	return true, sess.read(ctx, r)
}

// pending is a crtext challenge awaiting its >CLIENT:CR_RESPONSE.
type pending struct {
	user        string
	challengeID string
}

// serverSession is one management connection.
type serverSession struct {
	srv     *Server
	conn    net.Conn
	cmdMu   sync.Mutex  // one command and its reply at a time
	replies chan string // SUCCESS:/ERROR: lines
	done    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	pending map[uint64]pending // by client id
}

// read dispatches OpenVPN's lines until the connection ends.
func (ss *serverSession) read(ctx context.Context, r *reader) error {
	var events eventReader
	for {
		line, err := r.line()
		if err != nil {
			return err
		}
		kind, payload, isNote := strings.Cut(line, ":")
		switch {
		case !strings.HasPrefix(line, ">"):
			ss.reply(line)
		case !isNote:
		case kind == ">CLIENT":
			ev, err := events.add(payload)
			if err != nil {
				ss.srv.log().Warn("mgmt: ignored a malformed notification", "err", err)
			} else if ev != nil {
				ss.wg.Add(1)
				go ss.handle(ctx, ev)
			}
		case kind == ">HOLD":
			ss.wg.Add(1)
			go func() {
				defer ss.wg.Done()
				ss.command("hold release")
			}()
		}
	}
}

// reply hands a command reply to the waiting command.
func (ss *serverSession) reply(line string) {
	select {
	case ss.replies <- line:
	default:
		ss.srv.log().Warn("mgmt: dropped an unexpected reply", "reply", line)
	}
}

// command sends one command (possibly several lines) and waits for its
// SUCCESS: or ERROR: reply.
func (ss *serverSession) command(cmd string) error {
	ss.cmdMu.Lock()
	defer ss.cmdMu.Unlock()
	if _, err := io.WriteString(ss.conn, cmd+"\n"); err != nil {
		return fmt.Errorf("mgmt: send command: %w", err)
	}
	select {
	case r := <-ss.replies:
		if strings.HasPrefix(r, "SUCCESS:") {
			return nil
		}
		return fmt.Errorf("mgmt: OpenVPN refused %q: %s", firstWord(cmd), r)
	case <-ss.done:
		return errors.New("mgmt: connection closed before the reply")
	}
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
