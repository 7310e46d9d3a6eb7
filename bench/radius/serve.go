package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/radius"
)

// memService is a replay-safe login service held in memory: the password
// must match, then the code, at a counter above the last one accepted. It
// stands in for the store-backed service so the benchmark measures the
// RADIUS path plus OTP verification.
type memService struct {
	mode   codeMode
	window uint64 // HOTP look-ahead
	users  map[string]*memUser
}

type memUser struct {
	password []byte
	key      []byte
	mu       sync.Mutex
	next     uint64 // lowest counter still acceptable
}

func newMemService(users []user, mode codeMode, window uint64) *memService {
	s := &memService{mode: mode, window: window, users: make(map[string]*memUser, len(users))}
	for _, u := range users {
		s.users[u.name] = &memUser{password: []byte(u.password), key: u.key}
	}
	return s
}

func (s *memService) Authenticate(_ context.Context, req auth.Request) (auth.Response, error) {
	reject := auth.Response{Outcome: auth.Reject, User: req.User}
	u := s.users[req.User]
	if u == nil || req.Style != auth.Appended {
		return reject, nil
	}
	pw, code := req.Password, ""
	if s.mode != codeNone {
		if len(pw) < params.Digits {
			return reject, nil
		}
		pw, code = pw[:len(pw)-params.Digits], pw[len(pw)-params.Digits:]
	}
	if subtle.ConstantTimeCompare([]byte(pw), u.password) != 1 || !s.verify(u, code) {
		return reject, nil
	}
	return auth.Response{Outcome: auth.Accept, User: req.User}, nil
}

// verify checks and consumes code under the user's lock, so that two
// requests can never both accept one counter.
func (s *memService) verify(u *memUser, code string) bool {
	if s.mode == codeNone {
		return true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	lo, hi := u.next, u.next+s.window-1
	if s.mode == codeTOTP {
		lo, hi = otp.Window(params.Step(time.Now()), 1, 1)
		lo = max(lo, u.next)
	}
	c, ok := otp.Verify(u.key, code, lo, hi, params)
	if ok {
		u.next = c + 1
	}
	return ok
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:18120", "UDP address to listen on")
	secret := fs.String("secret", "", "shared secret of the 127.0.0.1 client")
	usersFile := fs.String("users", "", "users file from gen")
	mode := fs.String("code", "hotp", "none, hotp or totp")
	workers := fs.Int("workers", 0, "worker goroutines (0: the package default)")
	window := fs.Uint64("window", 10, "HOTP look-ahead (10: otpgate's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" || *usersFile == "" {
		return errors.New("serve needs -secret and -users")
	}
	m, err := parseCodeMode(*mode)
	if err != nil {
		return err
	}
	users, err := readUsers(*usersFile)
	if err != nil {
		return err
	}
	return serve(*listen, *secret, *workers, newMemService(users, m, *window))
}

func serve(listen, secret string, workers int, svc radius.Service) error {
	clients, err := radius.NewClients([]radius.Client{{
		Name: "bench", Prefix: mustPrefix("127.0.0.1"), Secret: []byte(secret),
		Rate: radius.RateLimit{PerSecond: math.Inf(1)},
	}})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := radius.New(radius.Config{Service: svc, Clients: clients, Logger: log, Workers: workers})
	if err != nil {
		return err
	}
	addr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "radius-bench: serving on %s\n", conn.LocalAddr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(conn); !errors.Is(err, radius.ErrServerClosed) {
		return err
	}
	m := srv.Metrics()
	fmt.Fprintf(os.Stderr, "radius-bench: served: %d accepts, %d rejects, %d retransmits, drops %v\n", m.Accepts, m.Rejects, m.Retransmits, nonZero(m.Drops))
	return nil
}

func mustPrefix(s string) netip.Prefix {
	p, err := radius.ParsePrefix(s)
	if err != nil {
		panic(err)
	}
	return p
}

func nonZero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}
