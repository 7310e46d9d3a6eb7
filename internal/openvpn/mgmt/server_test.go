package mgmt

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/authtoken"
)

// testService accepts alice/secret with code 123456, challenges her with
// "ch1" in the challenge style, and blocks user "slow" until release is
// closed.
type testService struct {
	release chan struct{}
}

func (s *testService) Authenticate(ctx context.Context, r auth.Request) (auth.Response, error) {
	if r.User == "slow" {
		select {
		case <-s.release:
		case <-ctx.Done():
			return auth.Response{}, ctx.Err()
		}
	}
	accept := auth.Response{Outcome: auth.Accept, User: r.User}
	switch {
	case r.ChallengeID == "ch1" && r.Code == "123456":
		return accept, nil
	case r.ChallengeID != "":
	case r.Style == auth.Challenge && r.Password == "secret":
		return auth.Response{Outcome: auth.ChallengeIssued, User: r.User,
			Challenge: &auth.PendingChallenge{ID: "ch1", Prompt: auth.DefaultPrompt, Echo: true, Expires: time.Now().Add(time.Minute)}}, nil
	case r.Style == auth.Separate && r.Password == "secret" && r.Code == "123456":
		return accept, nil
	}
	return auth.Response{Outcome: auth.Reject}, nil
}

func newServer(t *testing.T, svc openvpn.Service) *Server {
	k, err := authtoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Server{Auth: &openvpn.Authenticator{Service: svc, Config: openvpn.DefaultConfig(), Tokens: k}}
}

// serve runs s on a pipe and returns the fake OpenVPN end after the greeting.
func serve(t *testing.T, s *Server) *fakeOpenVPN {
	conn, f := pipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Serve(ctx, conn)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	f.send(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info")
	return f
}

func connect(kind string, cid, kid int, env ...string) []string {
	lines := []string{">CLIENT:" + kind + "," + itoa(cid) + "," + itoa(kid)}
	for _, e := range env {
		lines = append(lines, ">CLIENT:ENV,"+e)
	}
	return append(lines, ">CLIENT:ENV,END")
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestServerStatic(t *testing.T) {
	f := serve(t, newServer(t, &testService{}))
	f.send(connect("CONNECT", 0, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "123456"), "untrusted_ip=192.0.2.7")...)
	f.expect("client-auth 0 1")
	push := f.expectPrefix(`push "auth-token ` + authtoken.Prefix)
	f.expect("END")
	f.send("SUCCESS: client-auth command succeeded")

	tok := strings.TrimSuffix(strings.TrimPrefix(push, `push "auth-token `), `"`)
	f.send(connect("REAUTH", 0, 2, "username=alice", "password="+tok)...)
	f.expect("client-auth-nt 0 2")
	f.send("SUCCESS: client-auth-nt command succeeded")

	f.send(connect("CONNECT", 1, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "000000"))...)
	f.expect(`client-deny 1 1 "otpgate: authentication failed"`)
	f.send("SUCCESS: client-deny command succeeded")

	f.send(connect("CONNECT", 2, 1, "username=alice")...)
	f.expect(`client-deny 2 1 "otpgate: authentication failed"`)
}

// TestServerReauthRefusedKills: a refused renegotiation is denied and its
// session ended at once with client-kill, where client-deny alone leaves
// the tunnel up on the old key for the rest of the transition window.
func TestServerReauthRefusedKills(t *testing.T) {
	f := serve(t, newServer(t, &testService{}))
	f.send(connect("REAUTH", 4, 2, "username=alice", "password="+authtoken.Prefix+"forged")...)
	f.expect(`client-deny 4 2 "otpgate: authentication failed"`)
	f.send("SUCCESS: client-deny command succeeded")
	f.expect("client-kill 4")
	f.send("SUCCESS: client-kill command succeeded")
	// A refused first login has no session to end.
	f.send(connect("CONNECT", 5, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "000000"))...)
	f.expect(`client-deny 5 1 "otpgate: authentication failed"`)
	f.send("SUCCESS: client-deny command succeeded")
	f.send(connect("CONNECT", 6, 1, "username=alice")...)
	f.expect(`client-deny 6 1 "otpgate: authentication failed"`)
}

func TestServerCRText(t *testing.T) {
	f := serve(t, newServer(t, &testService{}))
	f.send(connect("CONNECT", 0, 1, "username=alice", "password=secret", "IV_SSO=openurl,crtext")...)
	f.expect(`client-pending-auth 0 1 "CR_TEXT:R,E:Please enter your TOTP code" 59`)
	f.send("SUCCESS: client-pending-auth command succeeded")
	f.send(">CLIENT:CR_RESPONSE,0,1", ">CLIENT:ENV,END") // malformed: ignored
	f.send(">CLIENT:CR_RESPONSE,0,1,MTIzNDU2", ">CLIENT:ENV,username=alice", ">CLIENT:ENV,END")
	f.expect("client-auth 0 1")
	f.expectPrefix(`push "auth-token `)
	f.expect("END")
}

func TestServerCRTextAnswer(t *testing.T) {
	for _, tt := range []struct {
		response, want string
	}{
		{"MTIzNDU2", "client-auth 0 1"},
		{"NjU0MzIx", `client-deny 0 1 "otpgate: authentication failed"`},
		{"!!!", `client-deny 0 1 "otpgate: authentication failed"`},
	} {
		f := serve(t, newServer(t, &testService{}))
		f.send(connect("CONNECT", 0, 1, "username=alice", "password=secret", "IV_SSO=crtext")...)
		f.expectPrefix("client-pending-auth 0 1 ")
		f.send("SUCCESS: client-pending-auth command succeeded")
		f.send(">CLIENT:CR_RESPONSE,0,1,"+tt.response, ">CLIENT:ENV,username=alice", ">CLIENT:ENV,END")
		f.expect(tt.want)
		// A second answer to the same challenge finds none pending.
		if strings.HasPrefix(tt.want, "client-auth ") {
			f.expectPrefix(`push "auth-token `)
			f.expect("END")
		}
		f.send("SUCCESS: ok")
		f.send(">CLIENT:CR_RESPONSE,0,1,MTIzNDU2", ">CLIENT:ENV,END")
		f.expect(`client-deny 0 1 "otpgate: authentication failed"`)
	}
}

func TestServerCRV1(t *testing.T) {
	f := serve(t, newServer(t, &testService{}))
	f.send(connect("CONNECT", 3, 1, "username=alice", "password=secret")...)
	f.expect(`client-deny 3 1 "otpgate: authentication failed" "CRV1:R,E:ch1:YWxpY2U=:Please enter your TOTP code"`)
	f.send("SUCCESS: client-deny command succeeded")
	f.send(connect("CONNECT", 4, 1, "username=alice", "password=CRV1::ch1::123456")...)
	f.expect("client-auth 4 1")
}

// TestServerConcurrent: a login stuck in the service does not hold up
// another.
func TestServerConcurrent(t *testing.T) {
	svc := &testService{release: make(chan struct{})}
	f := serve(t, newServer(t, svc))
	f.send(connect("CONNECT", 0, 1, "username=slow", "password="+openvpn.FormatSCRV1("secret", "123456"))...)
	f.send(connect("CONNECT", 1, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "123456"))...)
	f.expect("client-auth 1 1")
	f.expectPrefix("push ")
	f.expect("END")
	f.send("SUCCESS: client-auth command succeeded")
	close(svc.release)
	f.expect("client-auth 0 1")
}

func TestServerHoldAndPassword(t *testing.T) {
	s := newServer(t, &testService{})
	s.Password = `pw with "quotes"`
	conn, f := pipe(t)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background(), conn) }()
	f.conn.Write([]byte("ENTER PASSWORD:"))
	f.expect(`pw with "quotes"`)
	f.send("SUCCESS: password is correct", ">HOLD:Waiting for hold release:0")
	f.expect("hold release")
	f.send("SUCCESS: hold release succeeded")
	f.conn.Close()
	if err := <-errc; err == nil {
		t.Errorf("Serve after the connection closed = nil; want the read error")
	}
}

func TestServerPasswordRefused(t *testing.T) {
	for _, pw := range []string{"", "wrong"} {
		s := newServer(t, &testService{})
		s.Password = pw
		conn, f := pipe(t)
		errc := make(chan error, 1)
		go func() { errc <- s.Serve(context.Background(), conn) }()
		f.conn.Write([]byte("ENTER PASSWORD:"))
		if pw != "" {
			f.recv()
			f.send("ERROR: bad password")
		}
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("Serve with password %q = %v; want a password error", pw, err)
		}
	}
}

// TestServerReconnects: Run dials again after OpenVPN goes away, and serves
// the new connection.
func TestServerReconnects(t *testing.T) {
	s := newServer(t, &testService{})
	s.MinBackoff, s.MaxBackoff = time.Millisecond, 10*time.Millisecond
	fakes := make(chan *fakeOpenVPN, 4)
	var mu sync.Mutex
	dials := 0
	s.Dial = func(ctx context.Context) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		dials++
		if dials == 2 {
			return nil, errors.New("connection refused")
		}
		conn, f := pipe(t)
		fakes <- f
		return conn, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	f := <-fakes
	f.send(">INFO:OpenVPN Management Interface Version 5")
	f.conn.Close() // OpenVPN restarts
	f = <-fakes
	f.send(">INFO:OpenVPN Management Interface Version 5")
	f.send(connect("CONNECT", 0, 1, "username=alice", "password="+openvpn.FormatSCRV1("secret", "123456"))...)
	f.expect("client-auth 0 1")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v; want context.Canceled", err)
	}
}

func TestServerRefusedCommand(t *testing.T) {
	f := serve(t, newServer(t, &testService{}))
	f.send(connect("CONNECT", 0, 1, "username=alice", "password=secret", "IV_SSO=crtext")...)
	f.expectPrefix("client-pending-auth 0 1 ")
	f.send("ERROR: client-pending-auth command failed. Extra parameter might be too long")
	f.expect(`client-deny 0 1 "otpgate: authentication failed"`)
}
