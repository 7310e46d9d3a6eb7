// Command http-bench measures POST /api/v1/verify of otpgate serve's HTTPS
// front end: N workers, each with its own users and one request
// outstanding, over keep-alive TLS connections, for a fixed time, reporting
// requests per second and p50/p99 latency. Every request is a valid login
// (the user's next HOTP code), so the figures measure logins: a refused one
// fails the run.
//
// run.sh runs it beside radius-bench on the same daemon and store.
//
// Usage:
//
//	http-bench gen  -n 10000 -users users.oath
//	http-bench load -url https://127.0.0.1:18443 -key-file KEY -cacert ca.pem -users users.oath [-c 32] [-d 10s]
package main

import (
	"fmt"
	"os"
)

const usage = `Usage:
    http-bench gen  -n COUNT -users FILE
    http-bench load -url URL -key-file FILE -cacert FILE -users FILE [-c N] [-d DURATION] [-label NAME]

gen writes COUNT users with random 20-octet HOTP keys (SHA-1, 6 digits) as
a pam_oath users file, which "otpgate import --format users-file" loads.
load sends POST /api/v1/verify from N workers for DURATION, with the API key
in FILE, trusting the CA in -cacert, and prints a report.
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
	case "load":
		err = runLoad(os.Args[2:])
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "http-bench: error: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "http-bench: error: %v\n", err)
		os.Exit(1)
	}
}
