package radius

import (
	"bytes"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	layeh "layeh.com/radius"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/testpeer"
)

// These tests drive FreeRADIUS's radclient and radtest (Debian package
// freeradius-utils) against the server on loopback. radclient checks the
// Response Authenticator and, when present, the Message-Authenticator of
// every reply, and discards a reply that fails either: each answer it
// prints is also a differential check of our signing.

// radclient runs radclient with the attribute lines of input and returns
// its output. A dropped request shows as "No reply"; one retry keeps that
// short.
func radclient(t *testing.T, ts *testServer, command, secret, input string) string {
	t.Helper()
	bin := testpeer.Need(t, "radclient")[0]
	cmd := exec.Command(bin, "-x", "-t", "1", "-r", "1", ts.addr.String(), command, secret)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	t.Logf("radclient %s <<< %q:\n%s", command, redact(input), redact(string(out)))
	if err != nil && !bytes.Contains(out, []byte("Received")) && !bytes.Contains(out, []byte("No reply")) {
		t.Fatalf("radclient: %v", err)
	}
	return string(out)
}

var passwordLine = regexp.MustCompile(`(User-Password|Cleartext-Password) = "[^"]*"`)

// redact hides passwords in logged radclient input and output.
func redact(s string) string { return passwordLine.ReplaceAllString(s, `$1 = "..."`) }

func wantReceived(t *testing.T, out, code string) {
	t.Helper()
	if !strings.Contains(out, "Received "+code) {
		t.Errorf("radclient did not receive %s:\n%s", code, out)
	}
	if strings.Contains(out, "invalid Message-Authenticator") || strings.Contains(out, "Received Access-Accept") && code != "Access-Accept" {
		t.Errorf("radclient output unexpected:\n%s", out)
	}
}

func pap(user, password string) string {
	return `User-Name = "` + user + `", User-Password = "` + password + `", NAS-Identifier = "vpn1", Message-Authenticator = 0x00` + "\n"
}

func startPeerServer(t *testing.T, style auth.Style) *testServer {
	return startServer(t, Config{Clients: testClients(t, style, false)})
}

func TestRadtestAppended(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	bin := testpeer.Need(t, "radtest")[0]
	for _, tt := range []struct{ password, want string }{
		{testPassword + testCode, "Access-Accept"},
		{testPassword + "000000", "Access-Reject"},
	} {
		out, _ := exec.Command(bin, "-t", "pap", testUser, tt.password, ts.addr.String(), "0", testSecret).CombinedOutput()
		wantReceived(t, string(out), tt.want)
	}
	if n := ts.Metrics().Drops[DropMissingMessageAuthenticator.String()]; n != 0 {
		t.Errorf("radtest requests dropped for a missing Message-Authenticator: %d", n)
	}
}

func TestRadclientAppended(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testPassword+testCode)), "Access-Accept")
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testPassword+"999999")), "Access-Reject")
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap("mallory", testPassword+testCode)), "Access-Reject")
	if got := ts.svc.lastCall(); got.User != "mallory" || got.Password != testPassword+testCode || got.Source != "127.0.0.1" {
		t.Errorf("service got user %q, source %q; want mallory from 127.0.0.1 with the password sent", got.User, got.Source)
	}
}

func TestRadclientCodeOnly(t *testing.T) {
	ts := startPeerServer(t, auth.CodeOnly)
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testCode)), "Access-Accept")
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, "000000")), "Access-Reject")
}

// TestRadclientChallenge runs the two rounds of the Challenge style: the
// password, an Access-Challenge with State and Reply-Message, then the code
// with that State.
func TestRadclientChallenge(t *testing.T) {
	ts := startPeerServer(t, auth.Challenge)
	out := radclient(t, ts, "auth", testSecret, pap(testUser, testPassword))
	wantReceived(t, out, "Access-Challenge")
	state := regexp.MustCompile(`State = (0x[0-9a-f]+)`).FindStringSubmatch(out)
	if state == nil {
		t.Fatalf("no State in the Access-Challenge:\n%s", out)
	}
	for _, want := range []string{`Reply-Message = "` + testPrompt + `"`, "Prompt = No-Echo", "Session-Timeout = 90"} {
		if !strings.Contains(out, want) {
			t.Errorf("Access-Challenge lacks %s:\n%s", want, out)
		}
	}
	answer := strings.TrimSuffix(pap(testUser, testCode), "\n") + ", State = " + state[1] + "\n"
	wantReceived(t, radclient(t, ts, "auth", testSecret, answer), "Access-Accept")
	if got := ts.svc.lastCall(); got.ChallengeID != testChallenge || got.Code != testCode || got.Password != "" {
		t.Errorf("service got challenge %q; want the answer to %q with the code in Code", got.ChallengeID, testChallenge)
	}
	wrong := strings.TrimSuffix(pap(testUser, "000000"), "\n") + ", State = " + state[1] + "\n"
	wantReceived(t, radclient(t, ts, "auth", testSecret, wrong), "Access-Reject")
}

// TestRadclientMissingMessageAuthenticator: radclient sends no
// Message-Authenticator unless its input asks for one; the request is
// dropped, and answered once the client is marked legacy.
func TestRadclientMissingMessageAuthenticator(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	input := `User-Name = "alice", User-Password = "` + testPassword + testCode + `"` + "\n"
	out := radclient(t, ts, "auth", testSecret, input)
	if !strings.Contains(out, "No reply") {
		t.Errorf("a request without Message-Authenticator was answered:\n%s", out)
	}
	ts.waitDrop(t, DropMissingMessageAuthenticator, 1)
	if n := ts.svc.callCount(); n != 0 {
		t.Errorf("login service called %d times; want 0", n)
	}
	ts.SetClients(testClients(t, auth.Appended, true))
	wantReceived(t, radclient(t, ts, "auth", testSecret, input), "Access-Accept")
}

func TestRadclientWrongSecret(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	out := radclient(t, ts, "auth", "not-the-shared-secret", pap(testUser, testPassword+testCode))
	if !strings.Contains(out, "No reply") {
		t.Errorf("a request with the wrong secret was answered:\n%s", out)
	}
	ts.waitDrop(t, DropBadMessageAuthenticator, 1)
	if n := ts.svc.callCount(); n != 0 {
		t.Errorf("login service called %d times; want 0", n)
	}
}

func TestRadclientStatusServer(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	wantReceived(t, radclient(t, ts, "status", testSecret, "Message-Authenticator = 0x00\n"), "Access-Accept")
	if m := ts.Metrics(); m.StatusReply != 1 || m.Accepts != 0 {
		t.Errorf("Metrics() StatusReply = %d, Accepts = %d; want 1, 0", m.StatusReply, m.Accepts)
	}
}

func TestRadclientCHAPRejected(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	input := `User-Name = "alice", CHAP-Password = "` + testPassword + testCode + `", Message-Authenticator = 0x00` + "\n"
	wantReceived(t, radclient(t, ts, "auth", testSecret, input), "Access-Reject")
	if n := ts.svc.callCount(); n != 0 {
		t.Errorf("login service called %d times for CHAP; want 0", n)
	}
}

func TestRadclientProxyState(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	input := strings.TrimSuffix(pap(testUser, testPassword+testCode), "\n") + `, Proxy-State = 0x6f6e65, Proxy-State = 0x74776f` + "\n"
	out := radclient(t, ts, "auth", testSecret, input)
	wantReceived(t, out, "Access-Accept")
	reply := out[strings.Index(out, "Received"):]
	if i, j := strings.Index(reply, "Proxy-State = 0x6f6e65"), strings.Index(reply, "Proxy-State = 0x74776f"); i < 0 || j < i {
		t.Errorf("Proxy-State not echoed in order:\n%s", reply)
	}
}

// TestRadclientAfterMalformed: truncated, oversized and attribute-bombed
// datagrams are dropped and counted, and radclient is answered after them.
func TestRadclientAfterMalformed(t *testing.T) {
	ts := startPeerServer(t, auth.Appended)
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	valid := buildPacket(t, reqOpts{user: testUser, password: testPassword + testCode})
	for _, b := range [][]byte{
		valid[:HeaderLength-1],
		valid[:len(valid)-3],
		append(bytes.Clone(valid), make([]byte, MaxPacketLength)...),
		buildPacket(t, reqOpts{extra: manyAttributes(MaxAttributes * 2)}),
	} {
		send(t, c, b)
	}
	ts.waitDrop(t, DropMalformed, 2)
	ts.waitDrop(t, DropOversized, 1)
	ts.waitDrop(t, DropTooManyAttributes, 1)
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testPassword+testCode)), "Access-Accept")
}

// TestRadclientChecksReplies shows that radclient's acceptance of our
// replies means something: a stand-in server signs a reply with this
// package's code, and radclient takes it, but drops the same reply with one
// bit of the Message-Authenticator flipped (and a valid Response
// Authenticator recomputed over it).
func TestRadclientChecksReplies(t *testing.T) {
	bin := testpeer.Need(t, "radclient")[0]
	for _, corrupt := range []bool{false, true} {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		if err != nil {
			t.Fatal(err)
		}
		go standIn(t, conn, corrupt)
		cmd := exec.Command(bin, "-x", "-t", "1", "-r", "1", conn.LocalAddr().String(), "auth", testSecret)
		cmd.Stdin = strings.NewReader(pap(testUser, testCode))
		out, _ := cmd.CombinedOutput()
		conn.Close()
		t.Logf("corrupt=%v:\n%s", corrupt, redact(string(out)))
		got := strings.Contains(string(out), "Received Access-Accept")
		if got == corrupt {
			t.Errorf("corrupt Message-Authenticator %v: radclient received the reply = %v; want %v\n%s", corrupt, got, !corrupt, redact(string(out)))
		}
	}
}

// standIn answers one request with an Access-Accept from encodeReply,
// optionally with a corrupted Message-Authenticator.
func standIn(t *testing.T, conn *net.UDPConn, corrupt bool) {
	buf := make([]byte, MaxPacketLength)
	n, from, err := conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return
	}
	p, err := layeh.Parse(buf[:n], []byte(testSecret))
	if err != nil {
		t.Errorf("stand-in: %v", err)
		return
	}
	out, err := encodeReply(p, reply{code: layeh.CodeAccessAccept}, []byte(testSecret))
	if err != nil {
		t.Errorf("stand-in: %v", err)
		return
	}
	if corrupt {
		out[HeaderLength+2] ^= 1
		copy(out[4:20], p.Authenticator[:])
		setResponseAuthenticator(out, []byte(testSecret))
	}
	conn.WriteToUDPAddrPort(out, from)
}

// TestRadclientForgeryFloodSparesTheBudget: a spoofer who sends from the
// NAS's address but lacks the shared secret floods the server with
// Access-Requests, some with a Message-Authenticator it cannot compute,
// some with none. None of them is charged to the NAS's rate limit, so the
// real NAS (radclient, with the secret) keeps logging in. The clock is
// frozen: the budget is the burst of 5 and nothing refills it.
func TestRadclientForgeryFloodSparesTheBudget(t *testing.T) {
	clients, err := NewClients([]Client{{Name: "nas", Prefix: loopback4, Secret: []byte(testSecret), Rate: RateLimit{PerSecond: 1, Burst: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Clients: clients})
	spoofer := ts.nas(t)
	forged := func(i int) []byte {
		return buildPacket(t, reqOpts{secret: "a guess at the secret", user: testUser, password: testPassword + testCode, noMA: i%2 == 0})
	}
	forgedDrops := func() uint64 {
		d := ts.Metrics().Drops
		return d[DropBadMessageAuthenticator.String()] + d[DropMissingMessageAuthenticator.String()] + d[DropRateLimited.String()]
	}
	for i := range 50 {
		send(t, spoofer, forged(i))
	}
	waitFor(t, "the first 50 forgeries to be dropped", func() bool { return forgedDrops() >= 50 })
	stop := make(chan struct{})
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond): // a flood the reader keeps up with: this is about the budget, not the socket
				spoofer.Write(forged(i))
			}
		}
	}()
	for range 3 {
		wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testPassword+testCode)), "Access-Accept")
	}
	close(stop)
	<-flooded
	if n := ts.Metrics().Drops[DropRateLimited.String()]; n != 0 {
		t.Errorf("%d requests were dropped for the NAS's rate limit; want 0: forgeries must not spend it", n)
	}
}

// TestRadclientProxyStateNeedsMessageAuthenticator: a legacy NAS may omit
// Message-Authenticator, but then not send Proxy-State, the attribute a
// BlastRADIUS forger fills with its collision block (FreeRADIUS 3.2.5's
// limit_proxy_state = yes). With a Message-Authenticator, Proxy-State is
// echoed as usual.
func TestRadclientProxyStateNeedsMessageAuthenticator(t *testing.T) {
	ts := startServer(t, Config{Clients: testClients(t, auth.Appended, true)})
	login := `User-Name = "alice", User-Password = "` + testPassword + testCode + `"`
	out := radclient(t, ts, "auth", testSecret, login+`, Proxy-State = 0x6f6e65`+"\n")
	if !strings.Contains(out, "No reply") {
		t.Errorf("a request with Proxy-State and no Message-Authenticator was answered:\n%s", out)
	}
	ts.waitDrop(t, DropUnsignedProxyState, 1)
	if n := ts.svc.callCount(); n != 0 {
		t.Errorf("login service called %d times; want 0", n)
	}
	wantReceived(t, radclient(t, ts, "auth", testSecret, login+"\n"), "Access-Accept")
	out = radclient(t, ts, "auth", testSecret, login+`, Proxy-State = 0x6f6e65, Message-Authenticator = 0x00`+"\n")
	wantReceived(t, out, "Access-Accept")
	if reply := out[strings.Index(out, "Received"):]; !strings.Contains(reply, "Proxy-State = 0x6f6e65") {
		t.Errorf("Proxy-State not echoed with a Message-Authenticator:\n%s", reply)
	}
}

// TestRadclientLegacyWrongSecretLogged: without a Message-Authenticator a
// wrong shared secret only garbles the User-Password, so the service sees a
// wrong password. The log says that the secret could not be checked,
// rather than blame the user alone; radclient, whose secret differs, does
// not take the reply.
func TestRadclientLegacyWrongSecretLogged(t *testing.T) {
	ts := startServer(t, Config{Clients: testClients(t, auth.Appended, true)})
	out := radclient(t, ts, "auth", "not-the-shared-secret", `User-Name = "alice", User-Password = "`+testPassword+testCode+`"`+"\n")
	if strings.Contains(out, "Received Access-") {
		t.Errorf("radclient took a reply signed with another secret:\n%s", out)
	}
	waitFor(t, "the reject to be logged", func() bool { return strings.Contains(ts.logs.String(), "radius: reject") })
	if !strings.Contains(ts.logs.String(), `shared_secret="unchecked: without a Message-Authenticator`) {
		t.Errorf("the reject does not say the shared secret went unchecked:\n%s", ts.logs)
	}
	wantReceived(t, radclient(t, ts, "auth", testSecret, pap(testUser, testPassword+"000000")), "Access-Reject")
	if n := strings.Count(ts.logs.String(), "shared_secret="); n != 1 {
		t.Errorf("%d rejects say the secret went unchecked; want 1: a Message-Authenticator proves it", n)
	}
}
