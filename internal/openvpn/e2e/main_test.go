//go:build linux

package e2e

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/openvpn"
)

// hookArg makes the test binary run a script hook instead of the tests.
const hookArg = "otpgate-e2e-hook"

// envState names the test service's state file; the server config sets it.
const envState = "OTPGATE_E2E_STATE"

func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == hookArg {
		os.Exit(runHook(os.Args[2], os.Args[3:]))
	}
	sweepNamespaces()
	os.Exit(m.Run())
}

// runHook is `otpgate openvpn NAME ARGS...` with the test login service in
// place of the store-backed one.
func runHook(name string, args []string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	env := openvpn.OSEnv()
	cfg, err := openvpn.ConfigFromEnv(env)
	if err != nil {
		log.Error("otpgate openvpn: bad configuration", "err", err)
		return openvpn.ExitFailure
	}
	h, err := openvpn.NewHook(cfg, fileService{path: env[envState]}, log)
	if err != nil {
		log.Error("otpgate openvpn: cannot start", "err", err)
		return openvpn.ExitFailure
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.Run(ctx, name, env, args)
}

// hookCommand is the command a server config names for script name. The
// product's is "/usr/bin/otpgate openvpn " + name.
func hookCommand(t *testing.T, name string) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return exe + " " + hookArg + " " + name
}
