package radius

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"otpgate.dev/otpgate/internal/testpeer"
	"strings"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
)

// testServer is a server answering on a loopback UDP socket.
type testServer struct {
	*Server
	svc   *fakeService
	clock *fakeClock
	addr  netip.AddrPort
	logs  *syncBuffer
}

// startServer serves cfg (Service, Now and Logger are filled in) on
// 127.0.0.1 and shuts it down when the test ends.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	ts := &testServer{clock: newFakeClock(), logs: &syncBuffer{}}
	ts.svc = &fakeService{now: ts.clock.Now, entered: make(chan struct{}, 64)}
	cfg.Service, cfg.Now = ts.svc, ts.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.Clients == nil {
		cfg.Clients = testClients(t, auth.Appended, false)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	served := make(chan error, 1)
	go func() { served <- s.Serve(conn) }()
	t.Cleanup(func() {
		ts.svc.hold()() // release anything still held
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() = %v; want nil", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve() = %v; want ErrServerClosed", err)
		}
		for _, secret := range []string{testSecret, testPassword, testCode} {
			if strings.Contains(ts.logs.String(), secret) {
				t.Errorf("the logs show a secret, a password or a code:\n%s", ts.logs)
			}
		}
	})
	return ts
}

// nas is a UDP socket playing a NAS.
func (ts *testServer) nas(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *net.UDPConn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// receive reads one reply. The deadline only keeps a broken test from
// hanging; no test depends on how long an answer takes.
func receive(t *testing.T, c *net.UDPConn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 5000)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return buf[:n]
}

func exchange(t *testing.T, c *net.UDPConn, b []byte) []byte {
	t.Helper()
	send(t, c, b)
	return receive(t, c)
}

// waitFor polls cond; the long limit only turns a hang into a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (ts *testServer) waitDrop(t *testing.T, r DropReason, n uint64) {
	t.Helper()
	waitFor(t, r.String()+" drops", func() bool { return ts.Metrics().Drops[r.String()] >= n })
}

// syncBuffer collects output written concurrently.
type syncBuffer = testpeer.Buffer

func TestServeAcceptAndMetrics(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.nas(t)
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	if p := checkReply(t, exchange(t, c, req), req, testSecret); p.Code != layeh.CodeAccessAccept {
		t.Fatalf("reply = %v; want Access-Accept", p.Code)
	}
	req = buildPacket(t, reqOpts{user: testUser, password: "wrong"})
	if p := checkReply(t, exchange(t, c, req), req, testSecret); p.Code != layeh.CodeAccessReject {
		t.Fatalf("reply = %v; want Access-Reject", p.Code)
	}
	m := ts.Metrics()
	if m.Requests["Access-Request"] != 2 || m.Accepts != 1 || m.Rejects != 1 || m.Latency.Count != 2 {
		t.Errorf("Metrics() = %+v; want 2 Access-Requests, 1 accept, 1 reject, 2 latencies", m)
	}
	if len(m.Drops) != int(numDropReasons)-1 {
		t.Errorf("Metrics().Drops has %d reasons; want all %d", len(m.Drops), numDropReasons-1)
	}
	if !strings.Contains(ts.logs.String(), "user=alice") {
		t.Errorf("the logs do not name the user:\n%s", ts.logs)
	}
}

// TestServeRetransmitFromCache: a retransmission gets the very same bytes
// and is not shown to the login service again, until the TTL is over.
func TestServeRetransmitFromCache(t *testing.T) {
	ts := startServer(t, Config{ReplyTTL: 30 * time.Second})
	c := ts.nas(t)
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	first := exchange(t, c, req)
	second := exchange(t, c, req)
	if !bytes.Equal(first, second) {
		t.Errorf("retransmission answered with % x; want the first reply % x", second, first)
	}
	if n := ts.svc.callCount(); n != 1 {
		t.Errorf("login service called %d times; want 1", n)
	}
	if n := ts.Metrics().Retransmits; n != 1 {
		t.Errorf("Retransmits = %d; want 1", n)
	}
	ts.clock.Advance(31 * time.Second)
	exchange(t, c, req)
	if n := ts.svc.callCount(); n != 2 {
		t.Errorf("after the TTL the login service was called %d times; want 2", n)
	}
}

func TestServeDuplicateInFlightDropped(t *testing.T) {
	ts := startServer(t, Config{})
	release := ts.svc.hold()
	c := ts.nas(t)
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	send(t, c, req)
	<-ts.svc.entered
	send(t, c, req)
	ts.waitDrop(t, DropDuplicate, 1)
	release()
	first := receive(t, c)
	if again := exchange(t, c, req); !bytes.Equal(first, again) {
		t.Errorf("retransmission after the answer = % x; want % x", again, first)
	}
	if n := ts.svc.callCount(); n != 1 {
		t.Errorf("login service called %d times; want 1", n)
	}
}

func TestServeOverloadDropped(t *testing.T) {
	ts := startServer(t, Config{Workers: 1, QueueSize: 1})
	release := ts.svc.hold()
	c := ts.nas(t)
	reqs := make([][]byte, 3)
	for i := range reqs {
		reqs[i] = buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	}
	send(t, c, reqs[0])
	<-ts.svc.entered    // the only worker is busy
	send(t, c, reqs[1]) // queued
	send(t, c, reqs[2]) // no room
	ts.waitDrop(t, DropOverload, 1)
	release()
	got := map[byte]bool{receive(t, c)[1]: true, receive(t, c)[1]: true}
	if !got[reqs[0][1]] || !got[reqs[1][1]] {
		t.Errorf("answered Identifiers %v; want %d and %d", got, reqs[0][1], reqs[1][1])
	}
	// The dropped one was forgotten: its retransmission is served.
	if p := checkReply(t, exchange(t, c, reqs[2]), reqs[2], testSecret); p.Code != layeh.CodeAccessAccept {
		t.Errorf("retransmission of the dropped request = %v; want Access-Accept", p.Code)
	}
}

func TestServeRateLimited(t *testing.T) {
	clients, err := NewClients([]Client{{Prefix: loopback4, Secret: []byte(testSecret), Rate: RateLimit{PerSecond: 1, Burst: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Clients: clients})
	c := ts.nas(t)
	for range 2 {
		exchange(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	}
	send(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	ts.waitDrop(t, DropRateLimited, 1)
	ts.clock.Advance(time.Second)
	exchange(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	if n := ts.svc.callCount(); n != 3 {
		t.Errorf("login service called %d times; want 3", n)
	}
}

// TestServeUnauthenticatedBudget: a legacy NAS's requests without
// Message-Authenticator, which anyone on the path could forge, spend a
// budget of their own; its authenticated requests keep theirs, and a
// forged Message-Authenticator spends neither. The clock is frozen.
func TestServeUnauthenticatedBudget(t *testing.T) {
	clients, err := NewClients([]Client{{
		Prefix: loopback4, Secret: []byte(testSecret), AllowMissingMessageAuthenticator: true,
		Rate: RateLimit{PerSecond: 1, Burst: 2}, Unauthenticated: RateLimit{PerSecond: 1, Burst: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Clients: clients})
	c := ts.nas(t)
	for range 5 {
		send(t, c, buildPacket(t, reqOpts{badMA: true, user: testUser, password: testPassword + testCode}))
	}
	ts.waitDrop(t, DropBadMessageAuthenticator, 5)
	for range 2 {
		exchange(t, c, buildPacket(t, reqOpts{noMA: true, user: testUser, password: testPassword + testCode}))
	}
	send(t, c, buildPacket(t, reqOpts{noMA: true, user: testUser, password: testPassword + testCode}))
	ts.waitDrop(t, DropUnauthenticatedRateLimited, 1)
	for range 2 {
		exchange(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	}
	send(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	ts.waitDrop(t, DropRateLimited, 1)
	if n := ts.svc.callCount(); n != 4 {
		t.Errorf("login service called %d times; want 4", n)
	}
}

// TestServeRetransmitWithinBudget: with a reply cache of a few entries,
// every retransmission of a reply still held gets the same octets and no
// second verification; once newer replies have pushed a reply out (and the
// eviction is counted), its retransmission is verified afresh.
func TestServeRetransmitWithinBudget(t *testing.T) {
	const held = 4
	ts := startServer(t, Config{ReplyCacheBytes: held * (entryOverhead + 38)}) // an Access-Accept is 38 octets
	c := ts.nas(t)
	reqs := make([][]byte, held)
	replies := make([][]byte, held)
	for i := range reqs {
		reqs[i] = buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
		replies[i] = exchange(t, c, reqs[i])
	}
	for i := range reqs {
		if again := exchange(t, c, reqs[i]); !bytes.Equal(again, replies[i]) {
			t.Errorf("retransmission %d = % x; want % x", i, again, replies[i])
		}
	}
	if n, m := ts.svc.callCount(), ts.Metrics(); n != held || m.Retransmits != held || m.Evictions != 0 {
		t.Errorf("service called %d times, %d retransmits, %d evictions; want %d, %d, 0", n, m.Retransmits, m.Evictions, held, held)
	}
	exchange(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	if m := ts.Metrics(); m.Evictions != 1 {
		t.Errorf("Evictions = %d after one reply too many; want 1", m.Evictions)
	}
	exchange(t, c, reqs[0])
	if n := ts.svc.callCount(); n != held+2 {
		t.Errorf("service called %d times; want %d: the evicted reply's retransmission is verified again", n, held+2)
	}
}

func TestServeUnknownClientDropped(t *testing.T) {
	clients, err := NewClients([]Client{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Secret: []byte(testSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Clients: clients})
	send(t, ts.nas(t), buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	ts.waitDrop(t, DropUnknownClient, 1)
	if n := ts.svc.callCount(); n != 0 {
		t.Errorf("login service called %d times; want 0", n)
	}
}

// TestServeHostileDatagrams: whatever arrives, the workers keep answering.
func TestServeHostileDatagrams(t *testing.T) {
	ts := startServer(t, Config{Workers: 2})
	c := ts.nas(t)
	valid := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	hostile := []struct {
		b    []byte
		drop DropReason
	}{
		{make([]byte, 5), DropMalformed},
		{append(bytes.Clone(valid[:4]), make([]byte, 16)...), DropMalformed}, // Length says more than sent
		{bytes.Repeat([]byte{1}, MaxPacketLength+500), DropOversized},
		{buildPacket(t, reqOpts{extra: manyAttributes(1000)}), DropTooManyAttributes},
		{buildPacket(t, reqOpts{noMA: true, user: testUser, password: testPassword + testCode}), DropMissingMessageAuthenticator},
		{buildPacket(t, reqOpts{secret: "wrong", user: testUser, password: testPassword + testCode}), DropBadMessageAuthenticator},
		{buildPacket(t, reqOpts{code: layeh.CodeAccountingRequest}), DropUnsupportedCode},
		{buildPacket(t, reqOpts{user: "panic", password: "x"}), DropInternal},
	}
	for _, h := range hostile {
		send(t, c, h.b)
		ts.waitDrop(t, h.drop, 1)
	}
	if p := checkReply(t, exchange(t, c, valid), valid, testSecret); p.Code != layeh.CodeAccessAccept {
		t.Errorf("after hostile datagrams, reply = %v; want Access-Accept", p.Code)
	}
}

// TestServeReload swaps the clients on the live socket.
func TestServeReload(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.nas(t)
	exchange(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	clients, err := NewClients([]Client{{Prefix: loopback4, Secret: []byte("the-new-secret-0123"), Style: auth.CodeOnly}})
	if err != nil {
		t.Fatal(err)
	}
	ts.SetClients(clients)
	send(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	ts.waitDrop(t, DropBadMessageAuthenticator, 1)
	req := buildPacket(t, reqOpts{secret: "the-new-secret-0123", user: testUser, password: testCode})
	if p := checkReply(t, exchange(t, c, req), req, "the-new-secret-0123"); p.Code != layeh.CodeAccessAccept {
		t.Errorf("after reload, reply = %v; want Access-Accept", p.Code)
	}
}

// TestShutdownDrains: a request in flight when Shutdown starts is answered.
func TestShutdownDrains(t *testing.T) {
	ts := startServer(t, Config{})
	release := ts.svc.hold()
	c := ts.nas(t)
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	send(t, c, req)
	<-ts.svc.entered
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(context.Background()) }()
	waitFor(t, "Shutdown to start", ts.isClosing)
	release()
	if p := checkReply(t, receive(t, c), req, testSecret); p.Code != layeh.CodeAccessAccept {
		t.Errorf("reply during shutdown = %v; want Access-Accept", p.Code)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown() = %v; want nil", err)
	}
}

// TestShutdownGivesUp: when ctx ends first, the service call is cancelled.
func TestShutdownGivesUp(t *testing.T) {
	ts := startServer(t, Config{})
	ts.svc.hold()
	c := ts.nas(t)
	send(t, c, buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode}))
	<-ts.svc.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown(cancelled) = %v; want context.Canceled", err)
	}
	ts.waitDrop(t, DropServiceError, 1)
}

func TestServeAfterShutdown(t *testing.T) {
	s, _, _ := newTestServer(t, nil)
	s.Shutdown(context.Background())
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := s.Serve(conn); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v; want ErrServerClosed", err)
	}
}

func TestNewNeedsService(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Errorf("New(no service) = nil error; want one")
	}
}
