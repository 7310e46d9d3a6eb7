// Command radius-bench measures RADIUS PAP authentication on loopback: it
// generates users with OATH keys, serves them from otpgate's RADIUS server
// with an in-memory, replay-safe HOTP/TOTP login service, and drives any
// RADIUS server (otpgate or FreeRADIUS) with N concurrent senders for a
// fixed time, reporting requests per second and p50/p99 latency.
//
// run.sh runs it against both servers and prints the comparison.
//
// Usage:
//
//	radius-bench gen   -n 10000 -users users.txt [-freeradius-users authorize]
//	radius-bench serve -listen 127.0.0.1:18120 -secret S -users users.txt [-code hotp]
//	radius-bench load  -server 127.0.0.1:18120 -secret S -users users.txt [-code hotp] [-c 32] [-d 10s]
package main

import (
	"fmt"
	"os"
)

const usage = `Usage:
    radius-bench gen   -n COUNT -users FILE [-freeradius-users FILE]
    radius-bench serve -listen ADDR -secret SECRET -users FILE [-code hotp|totp|none]
    radius-bench load  -server ADDR -secret SECRET -users FILE [-code hotp|totp|none] [-no-password] [-c N] [-d DURATION]

gen writes COUNT users, each with a password and a random 20-octet OATH key
(SHA-1, 6 digits), and optionally the same users as a FreeRADIUS users file.
serve answers them with otpgate's RADIUS server: the PAP password is the
password followed by the code, and every code is accepted at most once.
load sends Access-Requests from N senders for DURATION and prints a report;
-code none sends the password alone (for FreeRADIUS's users file);
-no-password sends the code alone (for otpgate serve with no password
check). Every request is a valid login: load exits 1 if any is refused.

Example:
    $ radius-bench gen -n 20000 -users /tmp/u.txt
    $ radius-bench serve -listen 127.0.0.1:18120 -secret s3cret -users /tmp/u.txt &
    $ radius-bench load -server 127.0.0.1:18120 -secret s3cret -users /tmp/u.txt -c 64 -d 10s
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = runGen(os.Args[2:])
	case "serve":
		err = runServe(os.Args[2:])
	case "load":
		err = runLoad(os.Args[2:])
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "radius-bench: error: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "radius-bench: error: %v\n", err)
		os.Exit(1)
	}
}
