// Command otpgate is one-time-password two-factor authentication for VPNs:
// it generates codes for a VPN user, keeps and verifies tokens for a VPN
// server, and plugs into OpenVPN and RADIUS. Run `otpgate help` for the
// commands.
package main

import (
	"os"
	"time"

	"golang.org/x/term"

	"otpgate.dev/otpgate/internal/site"
)

func main() {
	os.Exit(run(os.Args[1:], osEnv()))
}

func osEnv() *env {
	return &env{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		getenv:         os.Getenv,
		now:            time.Now,
		stdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		readPassword:   readPasswordTTY,
		configFile:     site.SystemConfig,
		uid:            os.Geteuid(),
	}
}
