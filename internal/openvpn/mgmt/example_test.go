package mgmt_test

import (
	"context"
	"log/slog"
	"net"
	"os"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// `otpgate serve` with an OpenVPN server started with
// `management /run/openvpn/server.sock unix` and `management-client-auth`.
func ExampleServer() {
	var svc *auth.Service // the store-backed login service (auth.New)
	s := &mgmt.Server{
		Auth: &openvpn.Authenticator{Service: svc, Config: openvpn.DefaultConfig()},
		Dial: func(ctx context.Context) (net.Conn, error) { return mgmt.Dial(ctx, "/run/openvpn/server.sock") },
		Log:  slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	s.Run(context.Background()) // until the context ends, reconnecting as needed
}

// `otpgate openvpn client`: start openvpn with ClientFlags and answer it.
func ExampleClient() {
	const sock = "/run/user/1000/otpgate-vpn.sock"
	args := append([]string{"--config", "vpn.ovpn"}, mgmt.ClientFlags(sock)...)
	_ = args // exec.Command("openvpn", args...).Start(), then:
	conn, err := mgmt.Dial(context.Background(), sock)
	if err != nil {
		return
	}
	c := &mgmt.Client{
		Username: "alice",
		Password: "secret",
		Code: func(ctx context.Context, attempt int) (string, error) {
			return "123456", nil // client.Token.Codes for the user's token
		},
		Prompt: func(ctx context.Context, text string, echo bool) (string, error) {
			return "", nil // ask on the terminal
		},
	}
	c.Run(context.Background(), conn)
}
