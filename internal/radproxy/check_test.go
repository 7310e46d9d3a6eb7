package radproxy

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	layeh "layeh.com/radius"
)

// signed answers request with an Access-Accept whose Message-Authenticator
// (first) and Response Authenticator are computed as RFC 3579 section 3.2
// and RFC 2865 section 3 say; tamper changes one octet after signing.
func signed(t *testing.T, request []byte, withMA bool, tamper func([]byte)) []byte {
	t.Helper()
	req, err := layeh.Parse(request, []byte(legacySecret))
	if err != nil {
		t.Fatal(err)
	}
	resp := req.Response(layeh.CodeAccessAccept)
	if withMA {
		resp.Add(typeMessageAuthenticator, make(layeh.Attribute, 16))
	}
	resp.Add(18, layeh.Attribute("hello"))
	b, err := resp.MarshalBinary() // the Request Authenticator in the header
	if err != nil {
		t.Fatal(err)
	}
	if withMA {
		m := hmac.New(md5.New, []byte(legacySecret))
		m.Write(b)
		copy(b[22:38], m.Sum(nil))
	}
	h := md5.New()
	h.Write(b)
	h.Write([]byte(legacySecret))
	copy(b[4:20], h.Sum(nil))
	if tamper != nil {
		tamper(b)
	}
	return b
}

// responder answers each request with answer(request).
func responder(t *testing.T, answer func([]byte) []byte) netip.AddrPort {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			conn.WriteTo(answer(append([]byte(nil), buf[:n]...)), from)
		}
	}()
	return netip.MustParseAddrPort(conn.LocalAddr().String())
}

func TestResponseChecks(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(t *testing.T, req []byte) []byte
		require bool
		ok      bool
	}{
		{"signed with a Message-Authenticator", func(t *testing.T, r []byte) []byte { return signed(t, r, true, nil) }, true, true},
		{"no Message-Authenticator, not required", func(t *testing.T, r []byte) []byte { return signed(t, r, false, nil) }, false, true},
		{"no Message-Authenticator, required", func(t *testing.T, r []byte) []byte { return signed(t, r, false, nil) }, true, false},
		{"wrong Message-Authenticator", func(t *testing.T, r []byte) []byte {
			b := signed(t, r, true, nil)
			b[25] ^= 1
			h := md5.New() // a Response Authenticator that is right for the changed packet
			copy(b[4:20], r[4:20])
			h.Write(b)
			h.Write([]byte(legacySecret))
			copy(b[4:20], h.Sum(nil))
			return b
		}, false, false},
		{"wrong Response Authenticator", func(t *testing.T, r []byte) []byte { return signed(t, r, true, func(b []byte) { b[10] ^= 1 }) }, false, false},
		{"wrong Identifier", func(t *testing.T, r []byte) []byte {
			r[1]++
			return signed(t, r, true, nil)
		}, false, false},
		{"an Access-Request back", func(t *testing.T, r []byte) []byte { return r }, false, false},
	}
	for _, tt := range tests {
		addr := responder(t, func(r []byte) []byte { return tt.answer(t, r) })
		c, err := New(Config{Name: "test", Servers: []netip.AddrPort{addr}, Secret: []byte(legacySecret),
			Timeout: 200 * time.Millisecond, Tries: 1, RequireMessageAuthenticator: tt.require}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Exchange(context.Background(), Request{User: "u", Password: []byte("p")})
		if tt.ok && (err != nil || resp.Code != layeh.CodeAccessAccept || string(resp.Attributes.Get(18)) != "hello") {
			t.Errorf("%s: Exchange = %+v, %v; want the Access-Accept", tt.name, resp, err)
		}
		if !tt.ok && !errors.Is(err, ErrNoAnswer) {
			t.Errorf("%s: Exchange = %+v, %v; want the answer ignored", tt.name, resp, err)
		}
	}
}

// FuzzCheck: any datagram as an answer is refused or accepted without a
// panic, and an accepted one is an authentic response.
func FuzzCheck(f *testing.F) {
	c, err := New(Config{Name: "fuzz", Servers: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:1")}, Secret: []byte(legacySecret)}, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	p, err := c.packet(Request{User: "u", Password: []byte("p")})
	if err != nil {
		f.Fatal(err)
	}
	request, err := encode(p, []byte(legacySecret))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{2, request[1], 0, 20})
	f.Add(append([]byte{2, request[1], 0, 38}, make([]byte, 34)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, ok := c.check(b, request); ok && !layeh.IsAuthenticResponse(b, request, []byte(legacySecret)) {
			t.Fatal("accepted a response that is not authentic")
		}
	})
}
