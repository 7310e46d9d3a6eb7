package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"otpgate.dev/otpgate/bench/internal/latency"
	"slices"
	"sync"
	"time"
)

// loadConfig is the load generator's flags.
type loadConfig struct {
	server      string
	secret      []byte
	mode        codeMode
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	label       string
	noPassword  bool // the PAP password is the code alone
	window      int  // the server's HOTP look-ahead
}

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var cfg loadConfig
	var secret, mode, usersFile string
	fs.StringVar(&cfg.server, "server", "127.0.0.1:18120", "RADIUS server UDP address")
	fs.StringVar(&secret, "secret", "", "shared secret")
	fs.StringVar(&usersFile, "users", "", "users file from gen")
	fs.StringVar(&mode, "code", "hotp", "what follows the password: none, hotp or totp")
	fs.IntVar(&cfg.concurrency, "c", 32, "concurrent senders, one request outstanding each")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before it")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "wait for each reply")
	fs.StringVar(&cfg.label, "label", "server", "name for the report")
	fs.IntVar(&cfg.window, "window", 10, "the server's HOTP look-ahead window (otpgate's default is 10)")
	fs.BoolVar(&cfg.noPassword, "no-password", false, "send the code alone, for a server with no password check (otpgate's auth.primary = \"none\")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if secret == "" || usersFile == "" || cfg.concurrency < 1 || cfg.window < 1 {
		return errors.New("load needs -secret, -users, -c >= 1 and -window >= 1")
	}
	cfg.secret = []byte(secret)
	m, err := parseCodeMode(mode)
	if err != nil {
		return err
	}
	cfg.mode = m
	users, err := readUsers(usersFile)
	if err != nil {
		return err
	}
	if len(users) < cfg.concurrency {
		return fmt.Errorf("%d users for %d senders: every sender needs its own users", len(users), cfg.concurrency)
	}
	res, err := load(cfg, users)
	if err != nil {
		return err
	}
	res.print(cfg)
	return res.check()
}

// load runs the senders and merges their results.
func load(cfg loadConfig, users []user) (*result, error) {
	addr, err := net.ResolveUDPAddr("udp", cfg.server)
	if err != nil {
		return nil, err
	}
	senders := make([]*sender, cfg.concurrency)
	for i := range senders {
		conn, err := net.DialUDP("udp", nil, addr)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		senders[i] = newSender(conn, cfg, users, i)
	}
	start := time.Now()
	measureFrom, end := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() { s.run(measureFrom, end) })
	}
	wg.Wait()
	res := &result{elapsed: time.Since(measureFrom)}
	for _, s := range senders {
		res.add(&s.result)
	}
	return res, nil
}

// result is what the senders saw in the measured period.
type result struct {
	elapsed                                         time.Duration
	latencies                                       []time.Duration
	accepts, rejects, challenges, timeouts, invalid uint64
}

func (r *result) add(o *result) {
	r.latencies = append(r.latencies, o.latencies...)
	r.accepts += o.accepts
	r.rejects += o.rejects
	r.challenges += o.challenges
	r.timeouts += o.timeouts
	r.invalid += o.invalid
}

func (r *result) print(cfg loadConfig) {
	slices.Sort(r.latencies)
	n := len(r.latencies)
	rps := float64(n) / r.elapsed.Seconds()
	p50, p99, maxLat := latency.Quantile(r.latencies, 0.50), latency.Quantile(r.latencies, 0.99), latency.Quantile(r.latencies, 1)
	fmt.Printf("%s: %d senders, %v, code %s\n", cfg.label, cfg.concurrency, cfg.duration, cfg.mode)
	fmt.Printf("  answered %d (%.0f req/s): %d accept, %d reject, %d challenge; %d timeouts, %d invalid replies\n",
		n, rps, r.accepts, r.rejects, r.challenges, r.timeouts, r.invalid)
	fmt.Printf("  latency p50 %v, p99 %v, max %v\n", p50, p99, maxLat)
	fmt.Printf("RESULT label=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f accepts=%d rejects=%d timeouts=%d invalid=%d\n",
		cfg.label, rps, latency.MS(p50), latency.MS(p99), r.accepts, r.rejects, r.timeouts, r.invalid)
	if r.timeouts > 0 {
		fmt.Fprintf(os.Stderr, "radius-bench: warning: %s: %d requests timed out\n", cfg.label, r.timeouts)
	}
}

// check fails a run whose figures would not measure logins: every request
// carries a valid password and a fresh, valid code, so a reject means the
// server and the load disagree (a wrong -code or -no-password, say), and an
// invalid reply means a wrong secret or a broken server. Timeouts are a
// server's answer to overload and are only reported.
func (r *result) check() error {
	if r.rejects+r.invalid > 0 {
		return fmt.Errorf("%d valid logins were refused and %d replies were invalid: the figures would measure refusals, not logins", r.rejects, r.invalid)
	}
	if r.accepts == 0 {
		return errors.New("no login was accepted in the measured period")
	}
	return nil
}
