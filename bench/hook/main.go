// Command hook measures the OpenVPN auth-user-pass-verify hook as OpenVPN
// runs it, one process per login, one login at a time (issue 20 item 3),
// against pam_oath through pamtester with as many users, in one run:
//
//   - version: `otpgate version`, the cost of starting the binary;
//   - pamtester: pamtester + pam_oath, HOTP users file of N users;
//   - one-shot: `otpgate openvpn verify FILE` opening the SQLite store;
//   - daemon: the same hook handing the login to `otpgate serve` on its
//     hook socket (openvpn.hook_socket);
//   - one-shot B, with -vs BIN: the one-shot hook of another build (the one
//     before a change) on the same store.
//
// Each phase's CPU per login is the user and system time of the process it
// started (pamtester, or the hook); the daemon's own CPU is not in it.
//
// The phases alternate -rounds times, each for -duration, so a busy
// machine weighs on all of them alike. Every login is a valid, unused HOTP
// code; a refusal is an error of the run. Run it as root (pamtester reads
// its service from /etc/pam.d):
//
//	go build -o /tmp/otpgate ./cmd/otpgate
//	go run ./bench/hook -bin /tmp/otpgate [-tokens 10000] [-duration 5s] [-rounds 2] [-vs /tmp/otpgate.old]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"otpgate.dev/otpgate/bench/internal/latency"
	"otpgate.dev/otpgate/bench/internal/seed"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

type config struct {
	bin      string
	vs       string
	tokens   int
	duration time.Duration
	rounds   int
	dir      string
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the otpgate binary (go build -o /tmp/otpgate ./cmd/otpgate)")
	flag.StringVar(&c.vs, "vs", "", "another otpgate binary whose one-shot hook runs as one more phase")
	flag.IntVar(&c.tokens, "tokens", 10_000, "HOTP tokens in the store, and users in pam_oath's users file")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "how long each phase of a round logs in")
	flag.IntVar(&c.rounds, "rounds", 2, "rounds of the phases")
	flag.Parse()
	if c.bin == "" || c.tokens < 1 || c.rounds < 1 {
		fmt.Fprintln(os.Stderr, "hook: error: -bin names the otpgate binary; -tokens and -rounds are at least 1")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "hook: error:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "otpgate-hookbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir = dir
	db, keyFile := filepath.Join(dir, "otpgate.db"), filepath.Join(dir, "master.key")
	box, err := secretbox.LoadOrCreate(keyFile)
	if err != nil {
		return err
	}
	start := time.Now()
	t := seed.Tokens{N: c.tokens, Type: store.HOTP, Name: userName, Key: seedKey}
	if err := seed.Enroll(context.Background(), db, box, t); err != nil {
		return err
	}
	if err := writeUsersFile(filepath.Join(dir, "users.oath"), c.tokens); err != nil {
		return err
	}
	fmt.Printf("enrolled %d HOTP tokens and wrote pam_oath's users file in %v\n", c.tokens, time.Since(start).Round(time.Millisecond))
	phases, stop, err := newPhases(c, db, keyFile)
	if err != nil {
		return err
	}
	defer stop()
	return measure(c, phases)
}

// measure alternates the phases and prints each one's latency and its
// ratio to pamtester's mean.
func measure(c config, phases []phase) error {
	lat, cpu := make([][]time.Duration, len(phases)), make([][]time.Duration, len(phases))
	counters := newCounters(c.tokens)
	for range c.rounds {
		for i, p := range phases {
			l, u, err := p.run(c, counters)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			lat[i], cpu[i] = append(lat[i], l...), append(cpu[i], u...)
		}
	}
	base, baseCPU := mean(lat[1]), mean(cpu[1])
	fmt.Printf("%-10s %8s %8s %8s %8s %10s %8s %10s\n", "phase", "logins", "mean", "p50", "p99", "/pamtester", "cpu", "/pamtester")
	for i, p := range phases {
		slices.Sort(lat[i])
		fmt.Printf("%-10s %8d %8v %8v %8v %10.2f %8v %10.2f\n", p.name, len(lat[i]), mean(lat[i]).Round(10*time.Microsecond),
			latency.Quantile(lat[i], 0.5).Round(10*time.Microsecond), latency.Quantile(lat[i], 0.99).Round(10*time.Microsecond),
			float64(mean(lat[i]))/float64(base), mean(cpu[i]).Round(10*time.Microsecond), float64(mean(cpu[i]))/float64(baseCPU))
	}
	return nil
}

func mean(l []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return sum / time.Duration(max(len(l), 1))
}
