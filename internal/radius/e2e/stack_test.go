package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
)

// The enrolled user. The shared secret is random per test.
const (
	testUser     = "alice"
	testPassword = "correct horse battery"
	testPrompt   = "Enter the code from your authenticator app"
)

// stack is otpgate's RADIUS server with the product's login service on a
// temporary SQLite store, and one TOTP user enrolled.
type stack struct {
	t      *testing.T
	dir    string
	addr   netip.AddrPort
	secret string // RADIUS shared secret
	key    []byte // the user's TOTP seed
	clock  *clock
	store  *sqlite.Store
	box    *secretbox.Box
	svc    radius.Service // the product's login service, or a test's wrapper around it
	conn   net.PacketConn // where serve listens; nil means a new loopback socket
	srv    *radius.Server
	log    *syncBuffer
}

// clock is the real time plus an offset that tests move forward, so that
// two logins of one user in a test need not wait for the next TOTP step.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// nextStep moves the clock one TOTP period on.
func (c *clock) nextStep() { c.offset.Add(int64(otp.DefaultPeriod)) }

// syncBuffer collects output written concurrently.
type syncBuffer = testpeer.Buffer

// startStack is newStack, then serve.
func startStack(t *testing.T, style auth.Style, legacy bool) *stack {
	t.Helper()
	s := newStack(t)
	s.serve(style, legacy)
	return s
}

// newStack enrolls testUser with a TOTP token and the password
// testPassword (bcrypt, written by Debian's htpasswd) in a new store, and
// makes the login service.
func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	s := &stack{t: t, dir: t.TempDir(), clock: &clock{}, log: &syncBuffer{}, secret: rand.Text()}
	var err error
	if s.box, err = secretbox.LoadOrCreate(filepath.Join(s.dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	if s.store, err = sqlite.Open(ctx, filepath.Join(s.dir, "otpgate.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })
	s.key = enroll.NewSecret(store.TOTP)
	if _, err := enroll.Enroll(ctx, s.store, s.box, enroll.Spec{User: testUser, Type: store.TOTP, Secret: s.key}, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	pw, err := primary.LoadHtpasswd(s.htpasswd())
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(s.store, s.box, engine.DefaultPolicy(), s.clock.Now)
	s.svc = auth.New(auth.Config{Primary: pw, Prompt: testPrompt}, eng, s.store, s.clock.Now)
	return s
}

// htpasswd writes the password file with `htpasswd -B` and returns its path.
func (s *stack) htpasswd() string {
	bin := testpeer.Need(s.t, "htpasswd")[0]
	path := filepath.Join(s.dir, "htpasswd")
	cmd := exec.Command(bin, "-i", "-B", "-c", path, testUser)
	cmd.Stdin = strings.NewReader(testPassword)
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("htpasswd: %v\n%s", err, out)
	}
	return path
}

// serve answers RADIUS on s.conn (by default a random loopback port) for
// one NAS client, 127.0.0.1, in the given style; legacy lets it omit the
// Message-Authenticator.
func (s *stack) serve(style auth.Style, legacy bool) {
	t := s.t
	clients, err := radius.NewClients([]radius.Client{{
		Name: "nas", Prefix: netip.MustParsePrefix("127.0.0.1/32"), Secret: []byte(s.secret), Style: style,
		AllowMissingMessageAuthenticator: legacy,
	}})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if s.srv, err = radius.New(radius.Config{Service: s.svc, Clients: clients, Logger: logger, Now: s.clock.Now}); err != nil {
		t.Fatal(err)
	}
	conn := s.conn
	if conn == nil {
		if conn, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	s.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(conn) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
		<-served
		t.Logf("otpgate log:\n%s", s.log.String())
	})
}

// code returns the TOTP code for the stack's clock, shifted by steps.
func (s *stack) code(steps int64) string {
	p := otp.DefaultParams()
	c := s.clock.Now().Unix()/int64(p.Period/time.Second) + steps
	return otp.Generate(s.key, uint64(c), p)
}

// wrongCode returns a code that no step in the engine's window accepts.
func (s *stack) wrongCode() string {
	pol := engine.DefaultPolicy()
	for c := 0; ; c++ {
		code := fmt.Sprintf("%06d", c)
		ok := true
		for d := -int64(pol.TOTPBack) - 1; d <= int64(pol.TOTPForward)+1; d++ {
			if s.code(d) == code {
				ok = false
			}
		}
		if ok {
			return code
		}
	}
}

// enrollHOTP enrolls user with a new HOTP token (counter 0) and returns
// its seed.
func (s *stack) enrollHOTP(user string) []byte {
	s.t.Helper()
	key := enroll.NewSecret(store.HOTP)
	if _, err := enroll.Enroll(context.Background(), s.store, s.box, enroll.Spec{User: user, Type: store.HOTP, Secret: key}, s.clock.Now()); err != nil {
		s.t.Fatal(err)
	}
	return key
}

// oathHOTP returns the HOTP code for counter from Debian's oathtool.
func oathHOTP(t *testing.T, key []byte, counter int) string {
	t.Helper()
	bin := testpeer.Need(t, "oathtool")[0]
	out, err := exec.Command(bin, "--hotp", "--counter", strconv.Itoa(counter), hex.EncodeToString(key)).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// audit returns the login audit events of user through RADIUS, oldest
// first, as action:result ("verify:ok", "verify:replay", "login:fail").
func (s *stack) audit(user string) []string {
	evs, err := s.store.Audit(context.Background(), store.AuditFilter{User: user})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Actor == "radius" {
			out = append(out, string(evs[i].Action)+":"+string(evs[i].Result))
		}
	}
	return out
}

// waitLog waits until the server's log holds want, and fails after a
// generous time.
func (s *stack) waitLog(want string) {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(s.log.String(), want) {
			return
		}
	}
	s.t.Fatalf("otpgate never logged %q", want)
}
