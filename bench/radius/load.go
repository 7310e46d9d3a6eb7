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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if secret == "" || usersFile == "" || cfg.concurrency < 1 {
		return errors.New("load needs -secret, -users and -c >= 1")
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
	return nil
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
	if r.rejects+r.timeouts+r.invalid > 0 {
		fmt.Fprintf(os.Stderr, "radius-bench: warning: %s: %d rejects, %d timeouts, %d invalid replies\n", cfg.label, r.rejects, r.timeouts, r.invalid)
	}
}
