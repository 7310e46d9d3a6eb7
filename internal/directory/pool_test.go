package directory

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// TestSlapdRestartUnderLoad restarts slapd twice while eight goroutines log
// in through a pool of three: logins succeed again after each restart,
// slapd never holds more than the pool's connections, and none is left
// once the directory is closed.
func TestSlapdRestartUnderLoad(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{Quiet: true})
	cfg := slapdConfig(s)
	cfg.PoolSize, cfg.CacheTTL = 3, -1
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := d.Authenticate(ctx(t), "alice", "alice-pw"); err == nil {
					ok.Add(1)
				} else if Refused(err) {
					t.Errorf("a refusal while slapd restarts: %v", err)
				} else {
					failed.Add(1)
				}
			}
		})
	}
	waitFor(t, "logins", func() bool { return ok.Load() > 20 })
	for round := range 2 {
		if n := s.Connections(t); n > cfg.PoolSize {
			t.Errorf("round %d: slapd holds %d connections; the pool is %d", round, n, cfg.PoolSize)
		}
		s.Stop(t)
		s.Start(t)
		before := ok.Load()
		waitFor(t, "logins after the restart", func() bool { return ok.Load() > before+20 })
	}
	close(stop)
	wg.Wait()
	if n := s.Connections(t); n > cfg.PoolSize {
		t.Errorf("slapd holds %d connections; the pool is %d", n, cfg.PoolSize)
	}
	d.Close()
	waitFor(t, "no connection left", func() bool { return s.Connections(t) == 0 })
	t.Logf("%d logins, %d failed while slapd was down", ok.Load(), failed.Load())
}

// waitFor polls cond; the bound is generous, for a loaded machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSlapdFailover: with the first URL dead, the second server answers;
// the dead one is backing off afterwards, and is tried again when it is the
// only one.
func TestSlapdFailover(t *testing.T) {
	a := newSlapd(t, testpeer.SlapdOptions{})
	b := newSlapd(t, testpeer.SlapdOptions{})
	cfg := slapdConfig(a)
	cfg.URLs, cfg.CAFile = []string{a.URL(), b.URL()}, bothCAs(t, a, b)
	cfg.CacheTTL = -1
	d := newDirectory(t, cfg)
	login := func() string {
		t.Helper()
		u, err := d.Authenticate(ctx(t), "alice", "alice-pw")
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		return u.Server
	}
	if got := login(); got != a.URL() {
		t.Errorf("first login answered by %s; want %s", got, a.URL())
	}
	a.Stop(t)
	if got := login(); got != b.URL() {
		t.Errorf("with %s down, answered by %s; want %s", a.URL(), got, b.URL())
	}
	if d.servers[0].backoff().IsZero() {
		t.Errorf("%s is not backing off after it failed", a.URL())
	}
	a.Start(t)
	b.Stop(t)
	if got := login(); got != a.URL() {
		t.Errorf("with %s down, answered by %s; want %s", b.URL(), got, a.URL())
	}
}

// TestSilentServer: a server that accepts connections and never answers
// fails a login by the timeouts, and a cancelled context ends a login at
// once.
func TestSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, startTLS := range []bool{false, true} {
		cfg := Config{URLs: []string{"ldap://" + l.Addr().String()}, StartTLS: startTLS, BaseDN: "dc=example,dc=org",
			DialTimeout: 200 * time.Millisecond, SearchTimeout: 200 * time.Millisecond, BindTimeout: 200 * time.Millisecond}
		d := newDirectory(t, cfg)
		if _, err := d.Authenticate(ctx(t), "alice", "pw"); err == nil || Refused(err) {
			t.Errorf("StartTLS %v: Authenticate = %v; want a timeout", startTLS, err)
		}
		cfg.DialTimeout, cfg.SearchTimeout = time.Minute, time.Minute
		d = newDirectory(t, cfg)
		c, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		if _, err := d.Authenticate(c, "alice", "pw"); !errors.Is(err, context.Canceled) {
			t.Errorf("StartTLS %v: Authenticate after cancel = %v; want context.Canceled", startTLS, err)
		}
	}
}

// TestPoolBound: with sixteen logins at a time, a pool of two dials two
// connections and slapd never sees more.
func TestPoolBound(t *testing.T) {
	s := newSlapd(t, testpeer.SlapdOptions{Quiet: true})
	cfg := slapdConfig(s)
	cfg.PoolSize, cfg.CacheTTL = 2, -1
	d := newDirectory(t, cfg)
	var dialed atomic.Int64
	inner := d.pool.dial
	d.pool.dial = func(ctx context.Context) (*conn, error) {
		dialed.Add(1)
		return inner(ctx)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 10 {
				if _, err := d.Authenticate(ctx(t), "alice", "alice-pw"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		if n := s.Connections(t); n > 2 {
			t.Errorf("slapd holds %d connections; the pool is 2", n)
		}
		select {
		case <-done:
			waiting = false
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := dialed.Load(); got != 2 {
		t.Errorf("dialed %d connections; want the pool's 2", got)
	}
}

// bothCAs writes one CA file trusting the certificates of a and b.
func bothCAs(t *testing.T, a, b *testpeer.Slapd) string {
	var pem []byte
	for _, f := range []string{a.PKI.CAFile, b.PKI.CAFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pem = append(pem, data...)
	}
	path := filepath.Join(t.TempDir(), "cas.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
