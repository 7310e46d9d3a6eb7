package radius_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/radius"
)

// denyAll stands in for the login service.
type denyAll struct{}

func (denyAll) Authenticate(context.Context, auth.Request) (auth.Response, error) {
	return auth.Response{Outcome: auth.Reject}, nil
}

// The daemon's wiring: clients from the configuration, the login service,
// a socket, then SetClients on SIGHUP and Shutdown on SIGTERM.
func ExampleServer() {
	vpn, err := radius.ParsePrefix("127.0.0.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	clients, err := radius.NewClients([]radius.Client{
		{Name: "ocserv", Prefix: vpn, Secret: []byte("a long random shared secret"), Style: auth.Challenge},
		{Name: "legacy-fw", Prefix: netip.MustParsePrefix("192.0.2.0/28"), Secret: []byte("another long random secret"),
			AllowMissingMessageAuthenticator: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := radius.New(radius.Config{
		Service: denyAll{},
		Clients: clients,
		Logger:  slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(conn) }()

	srv.SetClients(clients) // on SIGHUP, with the reloaded table

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(ctx), <-served)
	fmt.Println(srv.Metrics().Drops["unknown_client"])
	// Output:
	// <nil> radius: server closed
	// 0
}
