package radius

import (
	"bytes"
	"encoding/binary"
	"testing"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
)

func vsa(vendor uint32, typ byte, value string) *layeh.AVP {
	v := binary.BigEndian.AppendUint32(nil, vendor)
	v = append(v, typ, byte(2+len(value)))
	return &layeh.AVP{Type: typeVendorSpecific, Attribute: append(v, value...)}
}

func TestHandle(t *testing.T) {
	chap := layeh.Attributes{{Type: typeCHAPPassword, Attribute: bytes.Repeat([]byte{7}, 17)}}
	eap := layeh.Attributes{{Type: typeEAPMessage, Attribute: []byte{2, 0, 0, 9, 1, 'a', 'l', 'i', 'c'}}}
	mschap := layeh.Attributes{vsa(vendorMicrosoft, msCHAPChallenge, "0123456789abcdef")}
	otherVSA := layeh.Attributes{vsa(9, 1, "cisco-avpair")}
	proxyState := layeh.Attributes{{Type: typeProxyState, Attribute: []byte("hop")}}
	tests := []struct {
		name   string
		style  auth.Style
		legacy bool
		req    reqOpts
		want   layeh.Code // 0: dropped
		drop   DropReason
	}{
		{"appended accept", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode}, layeh.CodeAccessAccept, 0},
		{"appended reject", auth.Appended, false, reqOpts{user: testUser, password: testPassword + "654321"}, layeh.CodeAccessReject, 0},
		{"empty style is appended", "", false, reqOpts{user: testUser, password: testPassword + testCode}, layeh.CodeAccessAccept, 0},
		{"code only accept", auth.CodeOnly, false, reqOpts{user: testUser, password: testCode}, layeh.CodeAccessAccept, 0},
		{"code only reject", auth.CodeOnly, false, reqOpts{user: testUser, password: "000000"}, layeh.CodeAccessReject, 0},
		{"challenge issued", auth.Challenge, false, reqOpts{user: testUser, password: testPassword}, layeh.CodeAccessChallenge, 0},
		{"challenge answered", auth.Challenge, false, reqOpts{user: testUser, password: testCode, state: testChallenge}, layeh.CodeAccessAccept, 0},
		{"challenge wrong code", auth.Challenge, false, reqOpts{user: testUser, password: "999999", state: testChallenge}, layeh.CodeAccessReject, 0},
		{"challenge wrong password", auth.Challenge, false, reqOpts{user: testUser, password: "nope"}, layeh.CodeAccessReject, 0},
		{"MA last is fine", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode, maLast: true}, layeh.CodeAccessAccept, 0},
		{"other VSA is fine", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode, extra: otherVSA}, layeh.CodeAccessAccept, 0},
		{"no password", auth.Appended, false, reqOpts{user: testUser}, layeh.CodeAccessReject, 0},
		{"CHAP", auth.Appended, false, reqOpts{user: testUser, extra: chap}, layeh.CodeAccessReject, 0},
		{"EAP", auth.Appended, false, reqOpts{user: testUser, extra: eap}, layeh.CodeAccessReject, 0},
		{"MS-CHAP", auth.Appended, false, reqOpts{user: testUser, extra: mschap}, layeh.CodeAccessReject, 0},
		{"missing MA", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode, noMA: true}, 0, DropMissingMessageAuthenticator},
		{"missing MA, legacy client", auth.Appended, true, reqOpts{user: testUser, password: testPassword + testCode, noMA: true}, layeh.CodeAccessAccept, 0},
		{"bad MA", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode, badMA: true}, 0, DropBadMessageAuthenticator},
		{"bad MA, legacy client", auth.Appended, true, reqOpts{user: testUser, password: testPassword + testCode, badMA: true}, 0, DropBadMessageAuthenticator},
		{"wrong secret", auth.Appended, false, reqOpts{secret: "not-the-secret", user: testUser, password: testPassword + testCode}, 0, DropBadMessageAuthenticator},
		{"wrong secret, legacy, no MA", auth.Appended, true, reqOpts{secret: "not-the-secret", user: testUser, password: testPassword + testCode, noMA: true}, layeh.CodeAccessReject, 0},
		{"Proxy-State without MA, legacy", auth.Appended, true, reqOpts{user: testUser, password: testPassword + testCode, noMA: true, extra: proxyState}, 0, DropUnsignedProxyState},
		{"Proxy-State with MA, legacy", auth.Appended, true, reqOpts{user: testUser, password: testPassword + testCode, extra: proxyState}, layeh.CodeAccessAccept, 0},
		{"Proxy-State with MA", auth.Appended, false, reqOpts{user: testUser, password: testPassword + testCode, extra: proxyState}, layeh.CodeAccessAccept, 0},
		{"status server", auth.Appended, false, reqOpts{code: layeh.CodeStatusServer}, layeh.CodeAccessAccept, 0},
		{"status server needs MA", auth.Appended, true, reqOpts{code: layeh.CodeStatusServer, noMA: true}, 0, DropMissingMessageAuthenticator},
		{"accounting", auth.Appended, false, reqOpts{code: layeh.CodeAccountingRequest}, 0, DropUnsupportedCode},
		{"an Access-Accept", auth.Appended, false, reqOpts{code: layeh.CodeAccessAccept}, 0, DropUnsupportedCode},
		{"service error", auth.Appended, false, reqOpts{user: "broken", password: "x"}, 0, DropServiceError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newTestServer(t, testClients(t, tt.style, tt.legacy))
			cl := s.clients.Load().lookup(testSrc.Addr())
			req := buildPacket(t, tt.req)
			out, drop := s.handle(t.Context(), testSrc, cl, req)
			if tt.want == 0 {
				if out != nil || drop != tt.drop {
					t.Fatalf("handle() = % x, %v; want a drop for %v", out, drop, tt.drop)
				}
				return
			}
			if out == nil {
				t.Fatalf("handle() dropped the request (%v); want %v", drop, tt.want)
			}
			if p := checkReply(t, out, req, testSecret); p.Code != tt.want {
				t.Errorf("handle() = %v; want %v", p.Code, tt.want)
			}
		})
	}
}

func TestHandleRequestMapping(t *testing.T) {
	tests := []struct {
		style auth.Style
		req   reqOpts
		want  auth.Request
	}{
		{auth.Appended, reqOpts{user: testUser, password: "pw123456"},
			auth.Request{User: testUser, Password: "pw123456", Style: auth.Appended, Frontend: "radius", Source: "127.0.0.1"}},
		{auth.CodeOnly, reqOpts{user: testUser, password: "123456"},
			auth.Request{User: testUser, Password: "123456", Style: auth.CodeOnly, Frontend: "radius", Source: "127.0.0.1"}},
		{auth.Challenge, reqOpts{user: testUser, password: "pw"},
			auth.Request{User: testUser, Password: "pw", Style: auth.Challenge, Frontend: "radius", Source: "127.0.0.1"}},
		{auth.Challenge, reqOpts{user: testUser, password: "654321", state: "ch-9"},
			auth.Request{User: testUser, Code: "654321", ChallengeID: "ch-9", Style: auth.Challenge, Frontend: "radius", Source: "127.0.0.1"}},
		// A password of 16 and of 17 octets: one and two PAP blocks.
		{auth.Appended, reqOpts{user: testUser, password: "0123456789abcdef"},
			auth.Request{User: testUser, Password: "0123456789abcdef", Style: auth.Appended, Frontend: "radius", Source: "127.0.0.1"}},
		{auth.Appended, reqOpts{user: testUser, password: "0123456789abcdefg"},
			auth.Request{User: testUser, Password: "0123456789abcdefg", Style: auth.Appended, Frontend: "radius", Source: "127.0.0.1"}},
	}
	for _, tt := range tests {
		s, svc, _ := newTestServer(t, testClients(t, tt.style, false))
		cl := s.clients.Load().lookup(testSrc.Addr())
		s.handle(t.Context(), testSrc, cl, buildPacket(t, tt.req))
		tt.want.NAS = cl.Name
		if got := svc.lastCall(); withoutAttributes(got) != tt.want {
			t.Errorf("style %s, %+v: service got %+v; want %+v", tt.style, tt.req, got, tt.want)
		}
	}
}

func TestHandleChallengeAttributes(t *testing.T) {
	s, _, _ := newTestServer(t, testClients(t, auth.Challenge, false))
	cl := s.clients.Load().lookup(testSrc.Addr())
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword})
	out, _ := s.handle(t.Context(), testSrc, cl, req)
	p := checkReply(t, out, req, testSecret)
	if got := string(p.Get(typeState)); got != testChallenge {
		t.Errorf("State = %q; want %q", got, testChallenge)
	}
	if got := string(p.Get(typeReplyMessage)); got != testPrompt {
		t.Errorf("Reply-Message = %q; want %q", got, testPrompt)
	}
	if got, err := layeh.Integer(p.Get(typePrompt)); err != nil || got != promptNoEcho {
		t.Errorf("Prompt = %v, %v; want %d", got, err, promptNoEcho)
	}
	if got, err := layeh.Integer(p.Get(typeSessionTimeout)); err != nil || got != 90 {
		t.Errorf("Session-Timeout = %v, %v; want 90", got, err)
	}
}

func TestHandleProxyStateEchoedInOrder(t *testing.T) {
	s, _, _ := newTestServer(t, testClients(t, auth.Appended, false))
	cl := s.clients.Load().lookup(testSrc.Addr())
	states := []string{"proxy-one", "proxy-two", "proxy-three"}
	var extra layeh.Attributes
	for _, ps := range states {
		extra.Add(typeProxyState, layeh.Attribute(ps))
	}
	for _, code := range []layeh.Code{layeh.CodeAccessRequest, layeh.CodeStatusServer} {
		req := buildPacket(t, reqOpts{code: code, user: testUser, password: testPassword + testCode, extra: extra})
		out, drop := s.handle(t.Context(), testSrc, cl, req)
		if out == nil {
			t.Fatalf("%v dropped: %v", code, drop)
		}
		p := checkReply(t, out, req, testSecret)
		var got []string
		for _, a := range p.Attributes {
			if a.Type == typeProxyState {
				got = append(got, string(a.Attribute))
			}
		}
		if len(got) != len(states) || got[0] != states[0] || got[1] != states[1] || got[2] != states[2] {
			t.Errorf("%v: Proxy-State in reply = %q; want %q", code, got, states)
		}
	}
}

func TestHandleMalformed(t *testing.T) {
	valid := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	withLen := func(b []byte, n int) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		return b
	}
	bomb := buildPacket(t, reqOpts{extra: manyAttributes(MaxAttributes + 1)})
	tests := []struct {
		name string
		b    []byte
		want DropReason
	}{
		{"empty", nil, DropMalformed},
		{"short header", valid[:19], DropMalformed},
		{"length below header", withLen(valid, 19), DropMalformed},
		{"length past datagram", withLen(valid, len(valid)+1), DropMalformed},
		{"length above maximum", withLen(append(valid, make([]byte, 5000)...), 4097), DropMalformed},
		{"attribute cut short", withLen(append(valid, 1), len(valid)+1), DropMalformed},
		{"attribute length 1", withLen(append(valid, 1, 1), len(valid)+2), DropMalformed},
		{"attribute past end", withLen(append(valid, 1, 9, 'x'), len(valid)+3), DropMalformed},
		{"two User-Names", buildPacket(t, reqOpts{user: testUser, extra: layeh.Attributes{{Type: typeUserName, Attribute: []byte("bob")}}}), DropMalformed},
		{"two States", buildPacket(t, reqOpts{state: "a", extra: layeh.Attributes{{Type: typeState, Attribute: []byte("b")}}}), DropMalformed},
		{"short MA", buildPacket(t, reqOpts{noMA: true, extra: layeh.Attributes{{Type: typeMessageAuthenticator, Attribute: make([]byte, 15)}}}), DropMalformed},
		{"attribute bomb", bomb, DropTooManyAttributes},
		{"bad PAP length", buildPacket(t, reqOpts{user: testUser, extra: layeh.Attributes{{Type: typeUserPassword, Attribute: make([]byte, 15)}}}), 0},
	}
	s, _, _ := newTestServer(t, testClients(t, auth.Appended, false))
	cl := s.clients.Load().lookup(testSrc.Addr())
	for _, tt := range tests {
		out, drop := s.handle(t.Context(), testSrc, cl, tt.b)
		if tt.want == 0 {
			// Well framed but unreadable: refused, not dropped.
			if out == nil {
				t.Fatalf("%s: handle() dropped it: %v", tt.name, drop)
			}
			if p := checkReply(t, out, tt.b, testSecret); p.Code != layeh.CodeAccessReject {
				t.Errorf("%s: handle() = %v; want Access-Reject", tt.name, p.Code)
			}
			continue
		}
		if out != nil || drop != tt.want {
			t.Errorf("%s: handle() = % x, %v; want a drop for %v", tt.name, out, drop, tt.want)
		}
	}
}

func TestHandlePaddingIgnored(t *testing.T) {
	s, _, _ := newTestServer(t, testClients(t, auth.Appended, false))
	cl := s.clients.Load().lookup(testSrc.Addr())
	req := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	padded := append(append([]byte(nil), req...), 0xde, 0xad)
	out, drop := s.handle(t.Context(), testSrc, cl, padded)
	if out == nil {
		t.Fatalf("handle(padded) dropped it: %v", drop)
	}
	if p := checkReply(t, out, req, testSecret); p.Code != layeh.CodeAccessAccept {
		t.Errorf("handle(padded) = %v; want Access-Accept", p.Code)
	}
}

func manyAttributes(n int) layeh.Attributes {
	var a layeh.Attributes
	for range n {
		a.Add(typeProxyState, layeh.Attribute("x"))
	}
	return a
}
