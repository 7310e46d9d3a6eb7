package openvpn_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/openvpn"
)

// challenger is a login service that accepts alice's password and asks for
// her code.
type challenger struct{}

func (challenger) Authenticate(_ context.Context, r auth.Request) (auth.Response, error) {
	if r.User == "alice" && r.Password == "secret" {
		return auth.Response{Outcome: auth.ChallengeIssued, User: "alice", Challenge: &auth.PendingChallenge{
			ID: "3q2-7w", Prompt: "Please enter your TOTP code", Echo: true, Expires: time.Now().Add(5 * time.Minute)}}, nil
	}
	return auth.Response{Outcome: auth.Reject}, nil
}

// The wiring of `otpgate openvpn verify|crresponse|client-connect`: the
// configuration from the server's setenv lines, the store it names, then
// the script OpenVPN asked for, with the arguments it appended.
func ExampleHook_Run() {
	env := openvpn.OSEnv()
	cfg, err := openvpn.ConfigFromEnv(env)
	if err != nil {
		os.Exit(openvpn.ExitFailure)
	}
	var svc openvpn.Service = challenger{} // the store-backed service at cfg.TokenDBPath
	h, err := openvpn.NewHook(cfg, svc, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		os.Exit(openvpn.ExitFailure)
	}
	os.Exit(h.Run(context.Background(), openvpn.ScriptVerify, env, os.Args[1:]))
}

func ExampleAuthenticator_Login() {
	a := &openvpn.Authenticator{Service: challenger{}, Config: openvpn.DefaultConfig()}
	// A client that announced IV_SSO=crtext gets a pending challenge...
	d := a.Login(context.Background(), openvpn.Login{User: "alice", Password: "secret", CRText: true})
	fmt.Println(d.Verdict, d.CRText)
	// ...and one that did not, a CRV1 dynamic challenge.
	d = a.Login(context.Background(), openvpn.Login{User: "alice", Password: "secret"})
	fmt.Println(d.Verdict, d.ClientReason())
	// Output:
	// pending CR_TEXT:R,E:Please enter your TOTP code
	// challenge CRV1:R,E:3q2-7w:YWxpY2U=:Please enter your TOTP code
}
