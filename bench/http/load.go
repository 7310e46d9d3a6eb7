package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"otpgate.dev/otpgate/bench/internal/latency"
)

type loadConfig struct {
	url, key    string
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	label       string
	window      int
}

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var cfg loadConfig
	var keyFile, caFile, usersFile string
	fs.StringVar(&cfg.url, "url", "https://127.0.0.1:18443", "the front end's base URL")
	fs.StringVar(&keyFile, "key-file", "", "file holding an API key of scope verify")
	fs.StringVar(&caFile, "cacert", "", "CA certificate (PEM) the server's certificate chains to")
	fs.StringVar(&usersFile, "users", "", "users file from gen")
	fs.IntVar(&cfg.concurrency, "c", 32, "concurrent workers, one request outstanding each")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before it")
	fs.StringVar(&cfg.label, "label", "https", "name for the report")
	fs.IntVar(&cfg.window, "window", 10, "the server's HOTP look-ahead window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if keyFile == "" || caFile == "" || usersFile == "" || cfg.concurrency < 1 {
		return errors.New("load needs -key-file, -cacert, -users and -c >= 1")
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	cfg.key = strings.TrimSpace(string(key))
	client, err := newClient(caFile, cfg.concurrency)
	if err != nil {
		return err
	}
	users, err := readUsers(usersFile)
	if err != nil {
		return err
	}
	if len(users) < cfg.concurrency {
		return fmt.Errorf("%d users for %d workers: every worker needs its own users", len(users), cfg.concurrency)
	}
	res := load(cfg, client, users)
	res.print(cfg)
	return res.check()
}

// newClient keeps one TLS connection alive per worker.
func newClient(caFile string, conns int) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConns: conns, MaxIdleConnsPerHost: conns}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

func load(cfg loadConfig, client *http.Client, users []*user) *result {
	start := time.Now()
	measureFrom, end := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	workers := make([]*result, cfg.concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = &result{}
		var own []*user
		for j := i; j < len(users); j += cfg.concurrency {
			own = append(own, users[j])
		}
		wg.Go(func() { work(cfg, client, own, workers[i], measureFrom, end) })
	}
	wg.Wait()
	res := &result{elapsed: time.Since(measureFrom)}
	for _, w := range workers {
		res.add(w)
	}
	return res
}

// work logs its users in, in turn, until end.
func work(cfg loadConfig, client *http.Client, users []*user, r *result, measureFrom, end time.Time) {
	for i := 0; time.Now().Before(end); i = (i + 1) % len(users) {
		u := users[i]
		body := `{"user":"` + u.name + `","code":"` + u.nextHOTP(cfg.window) + `"}`
		t0 := time.Now()
		out, err := verify(client, cfg, body)
		if t0.Before(measureFrom) {
			continue
		}
		r.count(out, err, time.Since(t0))
	}
}

func verify(client *http.Client, cfg loadConfig, body string) (string, error) {
	req, err := http.NewRequest("POST", cfg.url+"/api/v1/verify", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return string(b), err
}

type result struct {
	elapsed                  time.Duration
	latencies                []time.Duration
	accepts, rejects, failed uint64
	firstErr                 error
}

func (r *result) count(body string, err error, d time.Duration) {
	switch {
	case err != nil:
		r.failed++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	case strings.Contains(body, `"result":"accept"`):
		r.accepts++
	default:
		r.rejects++
	}
	r.latencies = append(r.latencies, d)
}

func (r *result) add(o *result) {
	r.latencies = append(r.latencies, o.latencies...)
	r.accepts += o.accepts
	r.rejects += o.rejects
	r.failed += o.failed
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}

func (r *result) print(cfg loadConfig) {
	slices.Sort(r.latencies)
	n := len(r.latencies)
	rps := float64(n) / r.elapsed.Seconds()
	p50, p99, maxLat := latency.Quantile(r.latencies, 0.50), latency.Quantile(r.latencies, 0.99), latency.Quantile(r.latencies, 1)
	fmt.Printf("%s: %d workers, %v\n", cfg.label, cfg.concurrency, cfg.duration)
	fmt.Printf("  answered %d (%.0f req/s): %d accept, %d reject; %d errors\n", n, rps, r.accepts, r.rejects, r.failed)
	fmt.Printf("  latency p50 %v, p99 %v, max %v\n", p50, p99, maxLat)
	fmt.Printf("RESULT label=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f accepts=%d rejects=%d timeouts=%d invalid=%d\n",
		cfg.label, rps, latency.MS(p50), latency.MS(p99), r.accepts, r.rejects, r.failed, 0)
}

// check fails a run whose figures would measure refusals or errors.
func (r *result) check() error {
	if r.rejects+r.failed > 0 {
		return fmt.Errorf("%d valid logins were refused and %d failed (first: %v): the figures would not measure logins", r.rejects, r.failed, r.firstErr)
	}
	if r.accepts == 0 {
		return errors.New("no login was accepted in the measured period")
	}
	return nil
}
