package radius

import (
	"bytes"
	"encoding/hex"
	"testing"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The published examples, all with the shared secret "xyzzy5461".
const (
	rfcSecret = "xyzzy5461"
	// RFC 5997 section 6: a Status-Server with a Message-Authenticator.
	rfc5997StatusServer = "0cda00268a54f4686fb394c52866e302185d0623" + "50125a665e2e1e8411f3e243822097c84fa3"
	rfc5997MA           = "5a665e2e1e8411f3e243822097c84fa3"
	// RFC 2865 section 7.1: nemo's Access-Request (PAP "arctangent") and
	// the Access-Accept answering it.
	rfc2865Request = "010000380f403f9473978057bd83d5cb98f4227a" +
		"01066e656d6f" + "02120dbe708d93d413ce3196e43f782a0aee" + "0406c0a80110" + "050600000003"
	rfc2865Accept = "0200002686fe220e7624ba2a1005f6bf9b55e0b2" +
		"060600000001" + "0f0600000000" + "0e06c0a80103"
)

func TestMessageAuthenticatorRFC5997(t *testing.T) {
	b := unhex(t, rfc5997StatusServer)
	off := HeaderLength + 2
	got := messageAuthenticator(b, []byte(rfcSecret), off)
	if hex.EncodeToString(got[:]) != rfc5997MA {
		t.Errorf("messageAuthenticator(RFC 5997 section 6) = %x; want %s", got, rfc5997MA)
	}
	if !verifyMessageAuthenticator(b, []byte(rfcSecret), off) {
		t.Errorf("verifyMessageAuthenticator(RFC 5997 section 6) = false; want true")
	}
	if verifyMessageAuthenticator(b, []byte("xyzzy5462"), off) {
		t.Errorf("verifyMessageAuthenticator(RFC 5997 section 6, wrong secret) = true; want false")
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		if i != 2 && i != 3 && verifyMessageAuthenticator(c, []byte(rfcSecret), off) {
			t.Errorf("verifyMessageAuthenticator(RFC 5997 with octet %d flipped) = true; want false", i)
		}
	}
}

func TestResponseAuthenticatorRFC2865(t *testing.T) {
	req, want := unhex(t, rfc2865Request), unhex(t, rfc2865Accept)
	b := bytes.Clone(want)
	copy(b[4:20], req[4:20])
	setResponseAuthenticator(b, []byte(rfcSecret))
	if !bytes.Equal(b, want) {
		t.Errorf("setResponseAuthenticator(RFC 2865 section 7.1) = %x; want %x", b, want)
	}
}

// TestStatusServerRFC5997 answers the RFC's Status-Server and checks the
// Access-Accept with an independent verifier.
func TestStatusServerRFC5997(t *testing.T) {
	clients, err := NewClients([]Client{{Prefix: loopback4, Secret: []byte(rfcSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	s, svc, _ := newTestServer(t, clients)
	req := unhex(t, rfc5997StatusServer)
	out, drop := s.handle(t.Context(), testSrc, s.clients.Load().lookup(testSrc.Addr()), req)
	if out == nil {
		t.Fatalf("Status-Server dropped: %v", drop)
	}
	if p := checkReply(t, out, req, rfcSecret); p.Code != layeh.CodeAccessAccept || len(p.Attributes) != 1 {
		t.Errorf("reply = %v with %d attributes; want Access-Accept with only a Message-Authenticator", p.Code, len(p.Attributes))
	}
	if n := svc.callCount(); n != 0 {
		t.Errorf("Status-Server called the login service %d times; want 0", n)
	}
	// The reply is deterministic. This value was computed apart, with
	// Python's hmac and hashlib modules, from RFC 3579 section 3.2 and
	// RFC 2865 section 3.
	const golden = "02da0026" + "7e6d7a5f5dfa87b519bef260a6f15081" + "5012" + "57566a4a4a4c690f8e18b73ae7a7f65f"
	if got := hex.EncodeToString(out); got != golden {
		t.Errorf("reply to RFC 5997 Status-Server = %s; want %s", got, golden)
	}
}

// TestPAPRFC2865 decodes the RFC's Access-Request, which predates
// Message-Authenticator, through a legacy client.
func TestPAPRFC2865(t *testing.T) {
	clients, err := NewClients([]Client{{Prefix: loopback4, Secret: []byte(rfcSecret), AllowMissingMessageAuthenticator: true}})
	if err != nil {
		t.Fatal(err)
	}
	s, svc, _ := newTestServer(t, clients)
	req := unhex(t, rfc2865Request)
	out, drop := s.handle(t.Context(), testSrc, s.clients.Load().lookup(testSrc.Addr()), req)
	if out == nil {
		t.Fatalf("RFC 2865 request dropped: %v", drop)
	}
	checkReply(t, out, req, rfcSecret)
	want := auth.Request{User: "nemo", Password: "arctangent", Style: auth.Appended, Frontend: "radius", Source: "127.0.0.1", NAS: "127.0.0.1/32"}
	if got := svc.lastCall(); withoutAttributes(got) != want {
		t.Errorf("service got %+v; want %+v", got, want)
	}
}

func TestSignResponseNeedsMessageAuthenticatorFirst(t *testing.T) {
	b := unhex(t, rfc2865Accept)
	if err := signResponse(b, []byte(rfcSecret)); err == nil {
		t.Errorf("signResponse(no Message-Authenticator first) = nil; want an error")
	}
}
