package radproxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/testpeer"
)

const legacySecret = "legacy-secret-0123456789"

// legacy is a FreeRADIUS standing in for the RSA server a site migrates
// off: "legacy" logs in with PIN and tokencode in one field, "chal" gets an
// Access-Challenge for a second tokencode.
func legacy(t *testing.T) *testpeer.FreeRADIUS {
	return testpeer.StartFreeRADIUS(t, testpeer.FreeRADIUSConfig{
		Secret: legacySecret,
		Users:  "legacy\tCleartext-Password := \"pin1234-123456\"\n\tReply-Message = \"legacy ok\", Class = \"from-rsa\"\n",
		Authorize: `
		if (User-Name == "chal") {
			if (!State) {
				update reply {
					Reply-Message := "Enter the next tokencode"
					State := "legacy-state-1"
				}
				update control {
					Response-Packet-Type := Access-Challenge
				}
				handled
			}
			elsif (State == "legacy-state-1" && User-Password == "654321" && Calling-Station-Id == "203.0.113.9") {
				update control {
					Auth-Type := Accept
				}
				update reply {
					Reply-Message := "challenge ok"
				}
			}
			else {
				reject
			}
		}`,
	})
}

func newClient(t *testing.T, servers ...netip.AddrPort) *Client {
	t.Helper()
	c, err := New(Config{Name: "rsa", Servers: servers, Secret: []byte(legacySecret), Timeout: 300 * time.Millisecond, Tries: 2}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func replyMessage(r Response) string {
	return string(r.Attributes.Get(18))
}

func TestFreeRADIUSAcceptReject(t *testing.T) {
	fr := legacy(t)
	c := newClient(t, fr.Addr)
	ctx := context.Background()
	resp, err := c.Exchange(ctx, Request{User: "legacy", Password: []byte("pin1234-123456")})
	if err != nil || resp.Code != layeh.CodeAccessAccept {
		t.Fatalf("Exchange(right password) = %v, %v; want Access-Accept\n%s", resp.Code, err, fr.Log)
	}
	if replyMessage(resp) != "legacy ok" || string(resp.Attributes.Get(25)) != "from-rsa" {
		t.Errorf("the legacy server's reply attributes were not passed back: %v", resp.Attributes)
	}
	resp, err = c.Exchange(ctx, Request{User: "legacy", Password: []byte("pin1234-000000")})
	if err != nil || resp.Code != layeh.CodeAccessReject {
		t.Errorf("Exchange(wrong password) = %v, %v; want Access-Reject", resp.Code, err)
	}
}

// TestFreeRADIUSChallenge: the legacy server's challenge comes back with
// its State, and the answer, pinned to the server that issued it, carries
// the State and the NAS's attributes.
func TestFreeRADIUSChallenge(t *testing.T) {
	fr := legacy(t)
	c := newClient(t, fr.Addr)
	ctx := context.Background()
	nas := layeh.Attributes{
		{Type: 31, Attribute: layeh.Attribute("203.0.113.9")},   // Calling-Station-Id
		{Type: 33, Attribute: layeh.Attribute("nas-hop-state")}, // Proxy-State: not forwarded
	}
	resp, err := c.Exchange(ctx, Request{User: "chal", Password: []byte("pin"), Attributes: nas})
	if err != nil || resp.Code != layeh.CodeAccessChallenge || string(resp.State) != "legacy-state-1" || replyMessage(resp) != "Enter the next tokencode" {
		t.Fatalf("Exchange(first step) = %+v, %v; want a challenge with State\n%s", resp, err, fr.Log)
	}
	answer := Request{User: "chal", Password: []byte("654321"), State: resp.State, Server: resp.Server, Attributes: nas}
	if resp, err := c.Exchange(ctx, answer); err != nil || resp.Code != layeh.CodeAccessAccept || replyMessage(resp) != "challenge ok" {
		t.Errorf("Exchange(answer) = %v, %v; want Access-Accept\n%s", resp.Code, err, fr.Log)
	}
	answer.State = []byte("forged-state")
	if resp, err := c.Exchange(ctx, answer); err != nil || resp.Code != layeh.CodeAccessReject {
		t.Errorf("Exchange(wrong State) = %v, %v; want Access-Reject", resp.Code, err)
	}
}

// TestFreeRADIUSDown: a stopped server fails over to the next; when every
// server is down the answer is ErrNoAnswer, never a decision.
func TestFreeRADIUSDown(t *testing.T) {
	first, second := legacy(t), legacy(t)
	c := newClient(t, first.Addr, second.Addr)
	ctx := context.Background()
	first.Stop()
	resp, err := c.Exchange(ctx, Request{User: "legacy", Password: []byte("pin1234-123456")})
	if err != nil || resp.Code != layeh.CodeAccessAccept || resp.Server != 1 {
		t.Fatalf("Exchange with the first server down = %+v, %v; want an Access-Accept from server 1", resp, err)
	}
	if order := c.order(); order[0] != 1 {
		t.Errorf("after a failure the order is %v; want the live server first", order)
	}
	// The answer to a challenge goes only to the server that issued it.
	if _, err := c.Exchange(ctx, Request{User: "chal", Password: []byte("1"), State: []byte("s"), Server: 0}); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("answer pinned to the stopped server: %v; want ErrNoAnswer", err)
	}
	second.Stop()
	if _, err := c.Exchange(ctx, Request{User: "legacy", Password: []byte("pin1234-123456")}); !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), first.Addr.String()) {
		t.Errorf("Exchange with every server down = %v; want ErrNoAnswer naming the servers", err)
	}
}

// TestFreeRADIUSNoMessageAuthenticator: Debian 12's FreeRADIUS signs no
// response with a Message-Authenticator, so a client that requires one
// accepts none of its answers.
func TestFreeRADIUSNoMessageAuthenticator(t *testing.T) {
	fr := legacy(t)
	c, err := New(Config{Name: "rsa", Servers: []netip.AddrPort{fr.Addr}, Secret: []byte(legacySecret),
		Timeout: 200 * time.Millisecond, Tries: 1, RequireMessageAuthenticator: true}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(context.Background(), Request{User: "legacy", Password: []byte("pin1234-123456")}); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("Exchange = %v; want ErrNoAnswer", err)
	}
}

// TestSilentServer: a server that reads and never answers gets Tries
// datagrams, the same each time, then the next server is asked.
func TestSilentServer(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	got := make(chan []byte, 10)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := silent.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- append([]byte(nil), buf[:n]...)
		}
	}()
	fr := legacy(t)
	c := newClient(t, netip.MustParseAddrPort(silent.LocalAddr().String()), fr.Addr)
	resp, err := c.Exchange(context.Background(), Request{User: "legacy", Password: []byte("pin1234-123456")})
	if err != nil || resp.Code != layeh.CodeAccessAccept || resp.Server != 1 {
		t.Fatalf("Exchange = %+v, %v; want an Access-Accept from the second server", resp, err)
	}
	a, b := <-got, <-got
	if string(a) != string(b) || len(got) != 0 {
		t.Errorf("the silent server got %d datagrams, alike %v; want 2 identical", 2+len(got), string(a) == string(b))
	}
	if strings.Contains(string(a), "pin1234") {
		t.Error("the password went in clear")
	}
}

func TestContextCancel(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c, err := New(Config{Name: "rsa", Servers: []netip.AddrPort{netip.MustParseAddrPort(silent.LocalAddr().String())},
		Secret: []byte(legacySecret), Timeout: time.Hour, Tries: 3}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.Exchange(ctx, Request{User: "legacy", Password: []byte("x")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Exchange after cancel = %v; want context.Canceled", err)
	}
}
