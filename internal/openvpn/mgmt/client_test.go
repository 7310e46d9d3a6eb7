package mgmt

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"otpgate.dev/otpgate/internal/openvpn"
)

// runClient runs c against a fake OpenVPN client and returns the fake and
// Run's result channel.
func runClient(t *testing.T, c *Client) (*fakeOpenVPN, chan error) {
	conn, f := pipe(t)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(context.Background(), conn) }()
	f.send(">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info")
	f.expect("state on")
	f.send("SUCCESS: real-time state notification set to ON", ">HOLD:Waiting for hold release:0")
	f.expect("hold release")
	return f, errc
}

// counter returns a Code callback giving "11111" + attempt and records
// the attempts.
func counter(attempts *[]int) func(context.Context, int) (string, error) {
	return func(_ context.Context, n int) (string, error) {
		*attempts = append(*attempts, n)
		return "11111" + string(rune('0'+n)), nil
	}
}

func TestClientStaticChallenge(t *testing.T) {
	var attempts []int
	c := &Client{Username: "alice", Password: `se"cr\et`, Code: counter(&attempts)}
	f, errc := runClient(t, c)
	f.send(">PASSWORD:Need 'Auth' username/password SC:1,Enter OTP")
	f.expect(`username "Auth" "alice"`)
	f.expect(`password "Auth" "` + openvpn.FormatSCRV1(`se"cr\et`, "111111") + `"`)
	f.send(">PASSWORD:Need 'Auth' username/password SC:3,Enter OTP") // 2.7 concat
	f.expect(`username "Auth" "alice"`)
	f.expect(`password "Auth" "se\"cr\\et111112"`)
	f.send(">STATE:1,CONNECTED,SUCCESS,10.8.0.6,192.0.2.1,1194,,")
	f.conn.Close()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v; want nil after connecting", err)
	}
	if !reflect.DeepEqual(attempts, []int{1, 2}) {
		t.Errorf("attempts = %v; want [1 2]", attempts)
	}
}

func TestClientCRV1(t *testing.T) {
	var attempts []int
	c := &Client{Username: "alice", Password: "secret", Style: openvpn.StyleCRV1, Code: counter(&attempts)}
	f, errc := runClient(t, c)
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.expect(`username "Auth" "alice"`)
	f.expect(`password "Auth" "secret"`)
	f.send(">PASSWORD:Verification Failed: 'Auth' ['CRV1:R,E:st4te1d:Ym9i:Enter OTP for bob']",
		">STATE:2,RECONNECTING,auth-failure,,,,,", ">HOLD:Waiting for hold release:1")
	f.expect("hold release")
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.expect(`username "Auth" "bob"`) // the username the challenge names
	f.expect(`password "Auth" "CRV1::st4te1d::111111"`)
	f.send(">STATE:3,CONNECTED,SUCCESS,,,,,")
	f.conn.Close()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestClientCRText(t *testing.T) {
	var attempts []int
	connected := 0
	c := &Client{Username: "alice", Password: "secret", Code: counter(&attempts), OnConnected: func() { connected++ }}
	f, errc := runClient(t, c)
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.expect(`username "Auth" "alice"`)
	f.expect(`password "Auth" "secret"`)
	f.send(">STATE:1,AUTH_PENDING,timeout 299,,,,,", ">INFOMSG:CR_TEXT:R,E:Enter your TOTP code")
	f.expect("cr-response MTExMTEx")
	f.send("SUCCESS: command succeeded", ">PASSWORD:Auth-Token:SESS_ID_AT_x", ">STATE:2,CONNECTED,SUCCESS,,,,,")
	f.conn.Close()
	if err := <-errc; err != nil || connected != 1 {
		t.Errorf("Run = %v, connected %d times; want nil, 1", err, connected)
	}
}

func TestClientAppendAndCode(t *testing.T) {
	for style, want := range map[openvpn.Style]string{
		openvpn.StyleAppend: `password "Auth" "secret111111"`,
		openvpn.StyleCode:   `password "Auth" "111111"`,
	} {
		var attempts []int
		f, _ := runClient(t, &Client{Username: "alice", Password: "secret", Style: style, Code: counter(&attempts)})
		f.send(">PASSWORD:Need 'Auth' username/password")
		f.expect(`username "Auth" "alice"`)
		f.expect(want)
	}
}

// TestClientPrompts: two generated codes, then the user; then giving up.
func TestClientPrompts(t *testing.T) {
	var attempts []int
	var prompts []string
	c := &Client{Username: "alice", Password: "secret", Code: counter(&attempts),
		Prompt: func(_ context.Context, text string, echo bool) (string, error) {
			prompts = append(prompts, text)
			if len(prompts) > 1 {
				return "", errors.New("no terminal")
			}
			return " 222222 \n", nil
		}}
	f, errc := runClient(t, c)
	for _, want := range []string{"MTExMTEx", "MTExMTEy", "MjIyMjIy"} {
		f.send(">INFOMSG:CR_TEXT:R,E:Code?")
		f.expect("cr-response " + want)
		f.send(">PASSWORD:Verification Failed: 'Auth'")
	}
	f.send(">INFOMSG:CR_TEXT:R:Code?")
	f.expect("signal SIGTERM")
	if err := <-errc; !errors.Is(err, ErrGaveUp) {
		t.Errorf("Run = %v; want ErrGaveUp", err)
	}
	if !reflect.DeepEqual(prompts, []string{"Code?", "Code?"}) {
		t.Errorf("prompts = %q", prompts)
	}
}

func TestClientNoPrompt(t *testing.T) {
	var attempts []int
	f, errc := runClient(t, &Client{Username: "alice", Password: "secret", Style: openvpn.StyleAppend, Code: counter(&attempts)})
	for i := 0; i < 2; i++ {
		f.send(">PASSWORD:Need 'Auth' username/password")
		f.recv()
		f.recv()
		f.send(">PASSWORD:Verification Failed: 'Auth'")
	}
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.expect("signal SIGTERM")
	if err := <-errc; !errors.Is(err, ErrGaveUp) {
		t.Errorf("Run = %v; want ErrGaveUp", err)
	}
}

func TestClientExitAfterRefusal(t *testing.T) {
	var attempts []int
	f, errc := runClient(t, &Client{Username: "alice", Password: "secret", Style: openvpn.StyleAppend, Code: counter(&attempts)})
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.recv()
	f.recv()
	f.send(">PASSWORD:Verification Failed: 'Auth'", ">FATAL:auth failure")
	f.conn.Close()
	if err := <-errc; err == nil {
		t.Errorf("Run after a refusal and exit = nil; want an error")
	}
}

func TestClientUnquotable(t *testing.T) {
	f, errc := runClient(t, &Client{Username: "ali\nce", Password: "secret"})
	f.send(">PASSWORD:Need 'Auth' username/password")
	f.expect("signal SIGTERM")
	if err := <-errc; !errors.Is(err, ErrParam) {
		t.Errorf("Run with a username holding a line break = %v; want ErrParam", err)
	}
}

func TestClientFlags(t *testing.T) {
	for addr, want := range map[string][]string{
		"/run/otpgate/vpn.sock": {"--management", "/run/otpgate/vpn.sock", "unix"},
		"127.0.0.1:7505":        {"--management", "127.0.0.1", "7505"},
	} {
		got := ClientFlags(addr)
		if !reflect.DeepEqual(got[:3], want) {
			t.Errorf("ClientFlags(%q) = %q; want it to start %q", addr, got, want)
		}
	}
}

// TestClientPasswordRefused: a password refused before any code was asked
// for is tried AutoAttempts+1 times (a refusal may pass), not forever.
func TestClientPasswordRefused(t *testing.T) {
	var attempts []int
	f, errc := runClient(t, &Client{Username: "alice", Password: "wrong", Code: counter(&attempts)})
	for range AutoAttempts + 1 {
		f.send(">PASSWORD:Need 'Auth' username/password")
		f.expect(`username "Auth" "alice"`)
		f.expect(`password "Auth" "wrong"`)
		f.send(">PASSWORD:Verification Failed: 'Auth'")
	}
	f.expect("signal SIGTERM")
	if err := <-errc; !errors.Is(err, ErrPasswordRefused) {
		t.Errorf("Run = %v; want ErrPasswordRefused", err)
	}
	if len(attempts) != 0 {
		t.Errorf("codes generated: %v; want none", attempts)
	}
}
