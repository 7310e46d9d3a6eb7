package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	layeh "layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/radius"
	"otpgate.dev/otpgate/internal/testpeer"
)

// radclient sends one Access-Request with FreeRADIUS's radclient and
// returns its output. radclient checks the Response Authenticator and the
// Message-Authenticator of every reply and discards a reply that fails.
func (s *stack) radclient(user, password string, extra ...string) string {
	s.t.Helper()
	bin := testpeer.Need(s.t, "radclient")[0]
	attrs := append([]string{
		`User-Name = "` + user + `"`, `User-Password = "` + password + `"`,
		`NAS-Identifier = "e2e"`, `Message-Authenticator = 0x00`,
	}, extra...)
	cmd := exec.Command(bin, "-x", "-t", "5", "-r", "2", s.addr.String(), "auth", s.secret)
	cmd.Stdin = strings.NewReader(strings.Join(attrs, ", ") + "\n")
	out, _ := cmd.CombinedOutput()
	s.t.Logf("radclient:\n%s", passwordLine.ReplaceAllString(string(out), `$1 = "..."`))
	return string(out)
}

var passwordLine = regexp.MustCompile(`(User-Password|Cleartext-Password) = "[^"]*"`)

func wantReceived(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, "Received "+want) {
		t.Errorf("radclient did not receive %s:\n%s", want, out)
	}
}

// wantAudit checks the results of testUser's logins through RADIUS.
func (s *stack) wantAudit(want ...string) {
	s.t.Helper()
	s.wantAuditOf(testUser, want...)
}

func (s *stack) wantAuditOf(user string, want ...string) {
	s.t.Helper()
	if got := s.audit(user); !slices.Equal(got, want) {
		s.t.Errorf("audit of %s = %q; want %q", user, got, want)
	}
}

// TestRadclientCodeOnlyReplay: the code alone logs in once; the same code
// in a new request is a replay, refused by the engine.
func TestRadclientCodeOnlyReplay(t *testing.T) {
	s := startStack(t, auth.CodeOnly, false)
	code := s.code(0)
	wantReceived(t, s.radclient(testUser, s.wrongCode()), "Access-Reject")
	wantReceived(t, s.radclient(testUser, code), "Access-Accept")
	wantReceived(t, s.radclient(testUser, code), "Access-Reject")
	s.wantAudit("verify:fail", "verify:ok", "verify:replay")
}

// TestRadclientAppendedReplay: password+code once, then the same again.
func TestRadclientAppendedReplay(t *testing.T) {
	s := startStack(t, auth.Appended, false)
	code := s.code(0)
	wantReceived(t, s.radclient(testUser, "wrong password"+code), "Access-Reject")
	wantReceived(t, s.radclient(testUser, testPassword+code), "Access-Accept")
	wantReceived(t, s.radclient(testUser, testPassword+code), "Access-Reject")
	s.clock.nextStep()
	wantReceived(t, s.radclient(testUser, testPassword+s.code(0)), "Access-Accept")
	s.wantAudit("login:fail", "verify:ok", "verify:replay", "verify:ok")
}

// TestRadclientChallengeReal: the password earns an Access-Challenge whose
// State is single use; the code answers it once.
func TestRadclientChallengeReal(t *testing.T) {
	s := startStack(t, auth.Challenge, false)
	out := s.radclient(testUser, testPassword)
	wantReceived(t, out, "Access-Challenge")
	if !strings.Contains(out, `Reply-Message = "`+testPrompt+`"`) {
		t.Errorf("Access-Challenge lacks the prompt:\n%s", out)
	}
	m := regexp.MustCompile(`State = (0x[0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no State in the Access-Challenge:\n%s", out)
	}
	code := s.code(0)
	wantReceived(t, s.radclient(testUser, code, "State = "+m[1]), "Access-Accept")
	// The State was consumed: the same answer again names no challenge.
	wantReceived(t, s.radclient(testUser, code, "State = "+m[1]), "Access-Reject")
	s.wantAudit("verify:ok")
}

// TestRadclientHOTP: an HOTP user (codes from Debian's oathtool) logs in
// with the code alone; a used code is refused, a code ahead within the
// look-ahead window is accepted, and a skipped one is refused afterwards.
func TestRadclientHOTP(t *testing.T) {
	s := startStack(t, auth.CodeOnly, false)
	const user = "bob"
	key := s.enrollHOTP(user)
	for _, tt := range []struct {
		counter int
		want    string
	}{
		{0, "Access-Accept"},
		{0, "Access-Reject"},
		{2, "Access-Accept"},
		{1, "Access-Reject"},
		{3, "Access-Accept"},
	} {
		wantReceived(t, s.radclient(user, oathHOTP(t, key, tt.counter)), tt.want)
	}
	s.wantAuditOf(user, "verify:ok", "verify:replay", "verify:ok", "verify:replay", "verify:ok")
}

// request encodes an Access-Request from user with a Message-Authenticator
// first, signed with secret, and a random Identifier and Authenticator.
func request(t *testing.T, secret, user, password string) []byte {
	t.Helper()
	p := layeh.New(layeh.CodeAccessRequest, []byte(secret))
	rfc2869.MessageAuthenticator_Set(p, make([]byte, 16))
	rfc2865.UserName_SetString(p, user)
	if err := rfc2865.UserPassword_SetString(p, password); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	const maValue = 20 + 2 // after the header and the attribute's type and length
	mac := hmac.New(md5.New, []byte(secret))
	mac.Write(b)
	copy(b[maValue:], mac.Sum(nil))
	return b
}

// exchange sends b and returns the reply, failing after a generous wait.
func exchange(t *testing.T, c *net.UDPConn, b []byte) []byte {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return buf[:n]
}

// TestRetransmitIsNotReplay: a NAS that retransmits (same source port,
// Identifier and Request Authenticator, RFC 5080 section 2.2.2) gets the
// same Access-Accept, byte for byte, and the engine verifies the code once;
// a new request with the same code is a replay.
func TestRetransmitIsNotReplay(t *testing.T) {
	s := startStack(t, auth.Appended, false)
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(s.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := request(t, s.secret, testUser, testPassword+s.code(0))
	first := exchange(t, c, req)
	again := exchange(t, c, req)
	if !layeh.IsAuthenticResponse(first, req, []byte(s.secret)) || layeh.Code(first[0]) != layeh.CodeAccessAccept {
		t.Fatalf("first reply is not an authentic Access-Accept: % x", first)
	}
	if !bytes.Equal(first, again) {
		t.Errorf("retransmit answered with\n% x\nwant\n% x", again, first)
	}
	if m := s.srv.Metrics(); m.Retransmits != 1 || m.Accepts != 1 {
		t.Errorf("Metrics() Retransmits = %d, Accepts = %d; want 1, 1", m.Retransmits, m.Accepts)
	}
	s.wantAudit("verify:ok")

	fresh := request(t, s.secret, testUser, testPassword+s.code(0))
	if got := layeh.Code(exchange(t, c, fresh)[0]); got != layeh.CodeAccessReject {
		t.Errorf("the same code in a new request got %v; want Access-Reject", got)
	}
	s.wantAudit("verify:ok", "verify:replay")
}

// holdFirst holds the first login until release reports true, so that a
// NAS's retransmission arrives while the request is in flight.
type holdFirst struct {
	radius.Service
	release func() bool
	once    sync.Once
}

func (h *holdFirst) Authenticate(ctx context.Context, req auth.Request) (auth.Response, error) {
	h.once.Do(func() {
		for !h.release() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	return h.Service.Authenticate(ctx, req)
}

// TestRadclientRetransmitInFlight: radclient retransmits the same packet
// (same Identifier and Request Authenticator) when an answer is late. The
// login is held until the server has seen that retransmission and dropped
// it as a duplicate of the request in flight; then the one answer logs in,
// and the engine verified the code once.
func TestRadclientRetransmitInFlight(t *testing.T) {
	s := newStack(t)
	s.svc = &holdFirst{Service: s.svc, release: func() bool {
		return s.srv.Metrics().Drops[radius.DropDuplicate.String()] >= 1
	}}
	s.serve(auth.Appended, false)
	bin := testpeer.Need(t, "radclient")[0]
	cmd := exec.Command(bin, "-x", "-t", "1", "-r", "8", s.addr.String(), "auth", s.secret)
	cmd.Stdin = strings.NewReader(`User-Name = "` + testUser + `", User-Password = "` + testPassword + s.code(0) + `", Message-Authenticator = 0x00` + "\n")
	out, _ := cmd.CombinedOutput()
	t.Logf("radclient:\n%s", passwordLine.ReplaceAllString(string(out), `$1 = "..."`))
	wantReceived(t, string(out), "Access-Accept")
	if m := s.srv.Metrics(); m.Accepts != 1 || m.Drops[radius.DropDuplicate.String()] < 1 {
		t.Errorf("Metrics() Accepts = %d, duplicates dropped = %d; want 1, at least 1", m.Accepts, m.Drops[radius.DropDuplicate.String()])
	}
	s.wantAudit("verify:ok")
}
