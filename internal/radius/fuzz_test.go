package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"testing"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
)

// FuzzHandlePacket feeds any datagram to the request handler. With sign
// set, the harness first appends a valid Message-Authenticator and fixes the
// Length, so that the fuzzer gets past the HMAC into attribute decoding and
// the login path. It asserts that nothing panics, that every drop has a
// reason, and that every reply is a well-signed answer to the request.
func FuzzHandlePacket(f *testing.F) {
	f.Add(unhexF(f, rfc5997StatusServer), false)
	f.Add(unhexF(f, rfc2865Request), true)
	for _, o := range []reqOpts{
		{user: testUser, password: testPassword + testCode},
		{user: testUser, password: testPassword},
		{user: testUser, password: testCode, state: testChallenge},
		{code: layeh.CodeStatusServer},
		{user: testUser, extra: layeh.Attributes{{Type: typeCHAPPassword, Attribute: make([]byte, 17)}}},
		{user: testUser, password: "x", extra: manyAttributes(3)},
	} {
		b := buildPacket(f, o)
		f.Add(b, false)
		o.noMA = true
		f.Add(buildPacket(f, o), true)
	}
	s, _, _ := newTestServer(f, testClients(f, auth.Challenge, false))
	cl := s.clients.Load().lookup(testSrc.Addr())
	f.Fuzz(func(t *testing.T, b []byte, sign bool) {
		if sign {
			b = appendMessageAuthenticator(b)
		}
		out, drop := s.handle(t.Context(), testSrc, cl, b)
		if out == nil {
			if drop <= notDropped || drop >= numDropReasons {
				t.Fatalf("handle() dropped with reason %d", drop)
			}
			return
		}
		h, err := parseHeader(b)
		if err != nil {
			t.Fatalf("handle() answered a request with a bad header: %v", err)
		}
		p := checkReply(t, out, b[:h.length], testSecret)
		switch {
		case h.code == layeh.CodeStatusServer && p.Code != layeh.CodeAccessAccept:
			t.Fatalf("Status-Server answered with %v", p.Code)
		case p.Code != layeh.CodeAccessAccept && p.Code != layeh.CodeAccessReject && p.Code != layeh.CodeAccessChallenge:
			t.Fatalf("answered with %v", p.Code)
		}
	})
}

// appendMessageAuthenticator appends a valid Message-Authenticator to a
// datagram that has a header, fixing its Length; shorter input is returned
// as is.
func appendMessageAuthenticator(b []byte) []byte {
	if len(b) < HeaderLength || len(b)+MessageAuthenticatorLength > MaxPacketLength {
		return b
	}
	b = append(b[:len(b):len(b)], typeMessageAuthenticator, MessageAuthenticatorLength)
	b = append(b, make([]byte, 16)...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	m := hmac.New(md5.New, []byte(testSecret))
	m.Write(b)
	copy(b[len(b)-16:], m.Sum(nil))
	return b
}

func unhexF(f *testing.F, s string) []byte { return unhex(f, s) }

// FuzzScanAttributes checks the attribute walk against layeh's parser:
// whatever the walk accepts, layeh parses into as many attributes, and the
// Message-Authenticator offset it reports holds one.
func FuzzScanAttributes(f *testing.F) {
	f.Add(unhexF(f, rfc5997StatusServer))
	f.Add(unhexF(f, rfc2865Request))
	f.Add(unhexF(f, rfc2865Accept))
	f.Add(buildPacket(f, reqOpts{user: testUser, password: testPassword, state: testChallenge, extra: manyAttributes(4)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < HeaderLength {
			return
		}
		sc, err := scanAttributes(b)
		if err != nil {
			return
		}
		attrs, err := layeh.ParseAttributes(b[HeaderLength:])
		if err != nil || len(attrs) != sc.count {
			t.Fatalf("scanAttributes found %d attributes; layeh.ParseAttributes = %d, %v", sc.count, len(attrs), err)
		}
		if sc.maOffset != 0 && (b[sc.maOffset-2] != typeMessageAuthenticator || b[sc.maOffset-1] != MessageAuthenticatorLength) {
			t.Fatalf("Message-Authenticator offset %d does not hold one", sc.maOffset)
		}
	})
}
