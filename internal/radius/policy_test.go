package radius

import (
	"context"
	"testing"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/raddict"
)

// withoutAttributes drops the request's attributes, which tests do not
// compare (they are the packet's own).
func withoutAttributes(r auth.Request) auth.Request {
	r.Attributes = nil
	return r
}

func TestClientAddress(t *testing.T) {
	tests := []struct {
		calling string
		framed  []byte
		want    string
	}{
		{"203.0.113.7", nil, "203.0.113.7"},
		{"2001:db8::7", nil, "2001:db8::7"},
		{"::ffff:203.0.113.7", nil, "203.0.113.7"},
		{"203.0.113.7:50123", nil, "203.0.113.7"},
		{"00-11-22-33-44-55", []byte{10, 8, 0, 9}, "10.8.0.9"},
		{"", []byte{10, 8, 0, 9}, "10.8.0.9"},
		{"+15551234567", nil, "+15551234567"},
		{"00-11-22-33-44-55", nil, "00-11-22-33-44-55"},
		{"a b", nil, ""},
		{"\x00\xff", nil, ""},
		{"", nil, ""},
	}
	for _, tt := range tests {
		p := &layeh.Packet{}
		if tt.calling != "" {
			p.Add(typeCallingStationID, layeh.Attribute(tt.calling))
		}
		if tt.framed != nil {
			p.Add(typeFramedIPAddress, layeh.Attribute(tt.framed))
		}
		if got := clientAddress(p); got != tt.want {
			t.Errorf("clientAddress(%q, %v) = %q; want %q", tt.calling, tt.framed, got, tt.want)
		}
	}
}

// replyService accepts every login with fixed reply attributes.
type replyService struct {
	reply  []raddict.Pair
	passed layeh.Attributes
	got    auth.Request
}

func (r *replyService) Authenticate(_ context.Context, req auth.Request) (auth.Response, error) {
	r.got = req
	return auth.Response{Outcome: auth.Accept, User: req.User, Reply: r.reply, Passed: r.passed}, nil
}

// TestAcceptCarriesReply: an Access-Accept carries the rule's attributes,
// then the legacy server's, after the Message-Authenticator; the request
// reaches the service with the client's address, the NAS's name and the
// packet's attributes.
func TestAcceptCarriesReply(t *testing.T) {
	filter, err := raddict.Standard().Encode("Filter-Id", "staff")
	if err != nil {
		t.Fatal(err)
	}
	svc := &replyService{reply: []raddict.Pair{filter}, passed: layeh.Attributes{{Type: 25, Attribute: layeh.Attribute("legacy")}}}
	s, err := New(Config{Service: svc, Clients: testClients(t, auth.Appended, false)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	req := buildPacket(t, reqOpts{user: testUser, password: "x", extra: layeh.Attributes{{Type: typeCallingStationID, Attribute: layeh.Attribute("198.51.100.4")}}})
	out, drop := s.handle(t.Context(), testSrc, s.clients.Load().lookup(testSrc.Addr()), req)
	if out == nil {
		t.Fatalf("dropped: %v", drop)
	}
	p := checkReply(t, out, req, testSecret)
	if p.Code != layeh.CodeAccessAccept || string(p.Get(11)) != "staff" || string(p.Get(25)) != "legacy" {
		t.Errorf("reply = %v %v; want Access-Accept with Filter-Id and Class", p.Code, p.Attributes)
	}
	if p.Attributes[1].Type != 11 || p.Attributes[2].Type != 25 {
		t.Errorf("reply attributes in order %v; want the rule's, then the legacy server's", p.Attributes)
	}
	if svc.got.Client != "198.51.100.4" || svc.got.NAS != "test-nas" || svc.got.Attributes == nil || len(*svc.got.Attributes) == 0 {
		t.Errorf("service got %+v", svc.got)
	}
}
