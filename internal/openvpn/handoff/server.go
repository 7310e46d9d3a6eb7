package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"otpgate.dev/otpgate/internal/auth"
)

// Service is what the daemon decides a handed-off login with: its login
// service (auth.Service) behind the daemon's wrappers.
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
	Active(ctx context.Context, user string) (bool, error)
}

// Server answers hooks on a listener from [Listen].
type Server struct {
	Service Service
	// Params returns the daemon's current settings (a reload may change
	// them); SameDB says whether a hook's store is the daemon's.
	Params func() Params
	SameDB func(a, b string) bool
	Log    *slog.Logger
}

const (
	// maxConns bounds the hooks served at once; more wait in the kernel's
	// backlog, as OpenVPN waits for its script.
	maxConns = 64
	// connTimeout bounds one hook's connection, a stalled one included.
	connTimeout = 30 * time.Second
)

// Listen creates the socket at path, mode 0660, in group (a name or a
// numeric id; empty keeps the daemon's), for the OpenVPN user to connect.
// A socket left by a daemon that is gone is replaced; one that answers is
// another daemon's, and an error.
func Listen(path, group string) (net.Listener, error) {
	gid := -1
	if group != "" {
		var err error
		if gid, err = lookupGroup(group); err != nil {
			return nil, err
		}
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("openvpn.hook_socket: %w", err)
	}
	// The socket is born with the umask's mode (connecting needs write
	// permission, which a umask of 022 gives no one but the owner); the
	// group gets it only now.
	if err := os.Chown(path, -1, gid); err != nil {
		ln.Close()
		return nil, fmt.Errorf("openvpn.hook_socket_group: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("openvpn.hook_socket: %w", err)
	}
	return ln, nil
}

func lookupGroup(name string) (int, error) {
	if id, err := strconv.Atoi(name); err == nil {
		return id, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("openvpn.hook_socket_group: %w", err)
	}
	return strconv.Atoi(g.Gid)
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("openvpn.hook_socket: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("openvpn.hook_socket: %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("openvpn.hook_socket: %s: another otpgate serve answers on it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("openvpn.hook_socket: %w", err)
	}
	return os.Remove(path)
}

// Serve answers hooks until ln is closed, then waits for the connections
// in flight and returns nil.
func (s *Server) Serve(ln net.Listener) error {
	sem := make(chan struct{}, maxConns)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sem <- struct{}{}
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			<-sem
			s.Log.Warn("openvpn hook socket: accept", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.serve(c)
		})
	}
}

// serve answers one hook: its hello, then its questions.
func (s *Server) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(connTimeout))
	ctx, cancel := context.WithTimeout(context.Background(), connTimeout)
	defer cancel()
	if !s.hello(c) {
		return
	}
	for {
		m, err := read(c)
		if err != nil {
			return // the hook is done, or broke the protocol: it fails closed
		}
		if err := write(c, s.answer(ctx, m)); err != nil {
			return
		}
	}
}

func (s *Server) hello(c net.Conn) bool {
	m, err := read(c)
	if err == nil && m.kind != kindHello {
		err = fmt.Errorf("%w: %q before the hello", errFrame, m.kind)
	}
	var p Params
	if err == nil {
		p, err = parseHello(m)
	}
	if err != nil {
		s.Log.Warn("openvpn hook socket: refused a connection", "err", err)
		write(c, message{kindError, []string{err.Error()}})
		return false
	}
	if why := s.Params().mismatch(p, s.SameDB); why != "" {
		write(c, message{kindMismatch, []string{why}})
		return false
	}
	return write(c, message{kindOK, nil}) == nil
}

func (s *Server) answer(ctx context.Context, m message) message {
	switch m.kind {
	case kindAuth:
		r, err := s.Service.Authenticate(ctx, parseAuth(m))
		if err != nil {
			return message{kindError, []string{err.Error()}}
		}
		return responseMessage(r)
	case kindActive:
		ok, err := s.Service.Active(ctx, m.fields[0])
		if err != nil {
			return message{kindError, []string{err.Error()}}
		}
		return message{kindIsActive, []string{boolField(ok)}}
	}
	return message{kindError, []string{fmt.Sprintf("handoff: a %q is not a question", m.kind)}}
}

func boolField(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
