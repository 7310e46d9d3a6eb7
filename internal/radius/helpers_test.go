package radius

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
)

// The fake login service's users and codes.
const (
	testSecret    = "s3cret-shared-with-the-nas"
	testUser      = "alice"
	testPassword  = "correct horse"
	testCode      = "731902"
	testChallenge = "ch-0123456789abcdef"
	testPrompt    = "Enter your one-time code"
)

var errStoreDown = errors.New("store down")

// fakeService accepts testUser with testPassword+testCode (Appended), with
// testCode alone (CodeOnly), and with testPassword then testCode through
// testChallenge (Challenge). User "broken" makes it fail. When gate is set,
// each call waits for it after signalling entered.
type fakeService struct {
	now     func() time.Time
	mu      sync.Mutex
	calls   []auth.Request
	gate    chan struct{}
	entered chan struct{}
}

func (f *fakeService) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if req.User == "panic" {
		panic("fake service panics")
	}
	if gate != nil {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return auth.Response{}, ctx.Err()
		}
	}
	return f.decide(req)
}

func (f *fakeService) decide(req auth.Request) (auth.Response, error) {
	reject := auth.Response{Outcome: auth.Reject, User: req.User, Reason: "wrong password or code"}
	accept := auth.Response{Outcome: auth.Accept, User: testUser}
	if req.User == "broken" {
		return auth.Response{}, errStoreDown
	}
	if req.ChallengeID != "" {
		if req.ChallengeID == testChallenge && req.Code == testCode {
			return accept, nil
		}
		return reject, nil
	}
	if req.User != testUser {
		return reject, nil
	}
	switch req.Style {
	case auth.Appended:
		if req.Password == testPassword+testCode {
			return accept, nil
		}
	case auth.CodeOnly:
		if req.Password == testCode {
			return accept, nil
		}
	case auth.Challenge:
		if req.Password == testPassword {
			now := time.Now
			if f.now != nil {
				now = f.now
			}
			return auth.Response{Outcome: auth.ChallengeIssued, User: testUser, Challenge: &auth.PendingChallenge{
				ID: testChallenge, Prompt: testPrompt, Expires: now().Add(90 * time.Second),
			}}, nil
		}
	}
	return reject, nil
}

// hold makes calls wait until the returned function is called.
func (f *fakeService) hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
	gate := f.gate
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.gate == gate {
			close(gate)
			f.gate = nil
		}
	}
}

func (f *fakeService) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeService) lastCall() auth.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return auth.Request{}
	}
	return f.calls[len(f.calls)-1]
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	loopback4 = netip.MustParsePrefix("127.0.0.1/32")
	testSrc   = netip.MustParseAddrPort("127.0.0.1:40000")
)

// testClients returns a table with one loopback client of the given style.
func testClients(t testing.TB, style auth.Style, legacy bool) *Clients {
	t.Helper()
	c, err := NewClients([]Client{{
		Name: "test-nas", Prefix: loopback4, Secret: []byte(testSecret), Style: style,
		AllowMissingMessageAuthenticator: legacy, Rate: RateLimit{PerSecond: 1e6, Burst: 1e6},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTestServer returns a server (not serving) over a fake service.
func newTestServer(t testing.TB, clients *Clients) (*Server, *fakeService, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	svc := &fakeService{now: clock.Now, entered: make(chan struct{}, 64)}
	s, err := New(Config{Service: svc, Clients: clients, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, svc, clock
}

// reqOpts describes a request to build.
type reqOpts struct {
	code     layeh.Code
	secret   string
	user     string
	password string // PAP, hidden with secret; "" for none
	state    string
	noMA     bool // leave the Message-Authenticator out
	badMA    bool // put a wrong one in
	maLast   bool // put it last instead of first
	extra    layeh.Attributes
}

// buildPacket encodes an Access-Request (or o.code) with a random
// Identifier and Request Authenticator.
func buildPacket(t testing.TB, o reqOpts) []byte {
	t.Helper()
	if o.code == 0 {
		o.code = layeh.CodeAccessRequest
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	p := &layeh.Packet{Code: o.code, Secret: []byte(o.secret)}
	var rnd [17]byte
	rand.Read(rnd[:])
	p.Identifier = rnd[0]
	copy(p.Authenticator[:], rnd[1:])
	if !o.noMA && !o.maLast {
		p.Add(typeMessageAuthenticator, make(layeh.Attribute, 16))
	}
	if o.user != "" {
		p.Add(typeUserName, layeh.Attribute(o.user))
	}
	if o.password != "" {
		enc, err := layeh.NewUserPassword([]byte(o.password), p.Secret, p.Authenticator[:])
		if err != nil {
			t.Fatal(err)
		}
		p.Add(typeUserPassword, enc)
	}
	if o.state != "" {
		p.Add(typeState, layeh.Attribute(o.state))
	}
	p.Attributes = append(p.Attributes, o.extra...)
	if !o.noMA && o.maLast {
		p.Add(typeMessageAuthenticator, make(layeh.Attribute, 16))
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !o.noMA {
		off := findAttr(b, typeMessageAuthenticator) + 2
		m := hmac.New(md5.New, p.Secret)
		m.Write(b)
		copy(b[off:], m.Sum(nil))
		if o.badMA {
			b[off] ^= 1
		}
	}
	return b
}

// findAttr returns the offset of the first attribute of type typ, or -1.
func findAttr(b []byte, typ byte) int {
	for off := HeaderLength; off+2 <= len(b) && b[off+1] >= 2; off += int(b[off+1]) {
		if b[off] == typ {
			return off
		}
	}
	return -1
}

// checkReply parses a reply to request, checks both of its authenticators
// independently of the code under test and that the Message-Authenticator
// comes first, and returns it.
func checkReply(t testing.TB, reply, request []byte, secret string) *layeh.Packet {
	t.Helper()
	if !layeh.IsAuthenticResponse(reply, request, []byte(secret)) {
		t.Fatalf("reply has a wrong Response Authenticator")
	}
	if len(reply) < HeaderLength+18 || reply[HeaderLength] != typeMessageAuthenticator || reply[HeaderLength+1] != 18 {
		t.Fatalf("reply does not start with a Message-Authenticator: % x", reply)
	}
	zeroed := append([]byte(nil), reply...)
	copy(zeroed[4:20], request[4:20])
	clear(zeroed[22:38])
	m := hmac.New(md5.New, []byte(secret))
	m.Write(zeroed)
	if !hmac.Equal(m.Sum(nil), reply[22:38]) {
		t.Fatalf("reply has a wrong Message-Authenticator")
	}
	if reply[1] != request[1] {
		t.Fatalf("reply Identifier %d; want %d", reply[1], request[1])
	}
	p, err := layeh.Parse(reply, []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// handle checks and answers one datagram as the reading goroutine and a
// worker do, without the reply cache and the rate limits.
func (s *Server) handle(ctx context.Context, src netip.AddrPort, cl *entry, b []byte) ([]byte, DropReason) {
	in, drop := check(cl, b)
	if drop != notDropped {
		return nil, drop
	}
	return s.answer(ctx, src, cl, in)
}
