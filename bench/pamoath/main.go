// Command pamoath measures logins per second and latency through Debian's
// pam_oath (oath-toolkit's PAM module) with a users file of many users, the
// baseline otpgate's engine is compared with in docs/benchmarks.md (issue
// 3, item 10).
//
// It writes a users file of N users (even-numbered HOTP/E/6, odd-numbered
// HOTP/T30/6, as otpgate export writes them) and a PAM service
//
//	auth requisite pam_oath.so usersfile=FILE window=10
//
// then logs in random users with valid codes computed by package otp for a
// fixed duration, in one of two ways:
//
//   - pamtester: one pamtester process per login, the way a shell script or
//     a fork-per-connection server uses PAM. Its service file goes to
//     /etc/pam.d (pamtester reads no other directory) and is removed at exit.
//   - inproc: libpam called in this process through otpgate's own PAM
//     backend (internal/primary: libpam.so.0 loaded at run time, no cgo)
//     with a private configuration directory (pam_start_confdir), by G
//     goroutines: the library's own throughput.
//
// pam_oath rewrites the whole users file after every successful login
// (liboath 2.6.7, seen with strace: read FILE and check the code, create
// FILE.lock with O_EXCL and fcntl-lock it, write FILE.new, rename it over
// FILE, unlink FILE.lock), so a login costs time proportional to the
// number of users; that is the comparison worth making with otpgate's
// one-row conditional update. Two consequences show with -goroutines above
// 1, in both modes: a login that finds FILE.lock present fails (a valid code
// refused), and since the code is checked against a read made before the
// lock, two concurrent logins can both rewrite the file from stale state,
// losing one HOTP counter update and so reopening a used code. The program
// parses the file afterwards and reports users lost and counter updates
// lost (a lower bound: a refused login skips a counter the next one moves
// past).
//
// Usage:
//
//	go run ./bench/pamoath [-users 10000] [-mode pamtester|inproc] [-goroutines 1] [-duration 15s]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

type config struct {
	users      int
	mode       string
	goroutines int
	duration   time.Duration
	window     int
	dir        string
}

func main() {
	var c config
	flag.IntVar(&c.users, "users", 10_000, "users in the users file (even: HOTP, odd: TOTP)")
	flag.StringVar(&c.mode, "mode", "inproc", "pamtester (a process per login) or inproc (libpam in this process)")
	flag.IntVar(&c.goroutines, "goroutines", 1, "concurrent logins")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "how long to log in")
	flag.IntVar(&c.window, "window", 10, "pam_oath's window= argument")
	flag.Parse()
	if c.users < 2 || c.goroutines < 1 || (c.mode != "pamtester" && c.mode != "inproc") {
		fmt.Fprintln(os.Stderr, "pamoath: error: -users must be at least 2, -goroutines at least 1, -mode pamtester or inproc")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "pamoath: error:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "otpgate-pamoath")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir = dir
	usersFile := filepath.Join(dir, "users.oath")
	start := time.Now()
	if err := writeUsersFile(usersFile, c.users); err != nil {
		return err
	}
	fi, err := os.Stat(usersFile)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d users (%d KiB) in %v\n", c.users, fi.Size()>>10, time.Since(start).Round(time.Millisecond))
	login, cleanup, err := newLogin(c, usersFile)
	if err != nil {
		return err
	}
	defer cleanup()
	s := load(c, login)
	s.print(c)
	return checkFile(usersFile, c.users, s)
}
