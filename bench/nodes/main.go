// Command nodes-bench measures replay-safe logins through several otpgate
// nodes on one PostgreSQL database, beside one node on SQLite.
//
// It starts a private PostgreSQL cluster with the server's durability
// defaults (fsync and synchronous_commit on), enrolls HOTP tokens in bulk,
// builds cmd/otpgate and starts N `otpgate serve` processes with the same
// configuration and master key file, as docs/scaling.md describes. Then
// concurrent senders each send one RADIUS Access-Request at a time (PAP,
// Message-Authenticator, the code alone) to the nodes in turn: every code is
// valid and never used before, so every login is a full verification that
// ends in the conditional UPDATE recording its counter. It reports logins
// per second and the p50 and p99 round trip.
//
// Usage:
//
//	go run ./bench/nodes -store postgres -nodes 3 -duration 10s
//	go run ./bench/nodes -store sqlite -duration 10s
//	bench/nodes/run.sh   # SQLite, then 1, 2 and 3 nodes on PostgreSQL
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"otpgate.dev/otpgate/bench/internal/latency"
	"otpgate.dev/otpgate/internal/secretbox"
)

const usage = `Usage:
    nodes-bench [-store postgres|sqlite] [-nodes N] [-duration D] [-c N] [-tokens N]

Options:
    -store S       postgres (default) or sqlite (one node only)
    -nodes N       otpgate serve processes on the one database (default 1)
    -duration D    measured time (default 10s), after -warmup (default 2s)
    -c N           concurrent senders, one request outstanding each (default 32)
    -tokens N      HOTP tokens enrolled, one user each (default 10000)
    -otpgate PATH  an otpgate binary instead of building cmd/otpgate
    -log-level L   the daemons' log level (default info, as in production)

Example:
    $ go run ./bench/nodes -nodes 3 -duration 10s
    postgres x3: 32 senders, 10s: 10412 logins, 1041 logins/s; p50 28.1ms, p99 88.0ms
    RESULT store=postgres nodes=3 c=32 logins_per_s=1041 p50_ms=28.1 p99_ms=88.0 rejects=0 timeouts=0 load=3.10
`

// options are the command's flags.
type options struct {
	store, otpgate, logLevel string
	nodes, concurrency       int
	tokens                   int
	duration, warmup         time.Duration
}

func main() {
	var o options
	fs := flag.NewFlagSet("nodes-bench", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	fs.StringVar(&o.store, "store", "postgres", "")
	fs.IntVar(&o.nodes, "nodes", 1, "")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "")
	fs.IntVar(&o.concurrency, "c", 32, "")
	fs.IntVar(&o.tokens, "tokens", 10000, "")
	fs.StringVar(&o.otpgate, "otpgate", "", "")
	fs.StringVar(&o.logLevel, "log-level", "info", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(os.Stderr, "nodes-bench: error: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "nodes-bench: error: %v\n", err)
		os.Exit(1)
	}
}

func (o options) check() error {
	switch {
	case o.store != "postgres" && o.store != "sqlite":
		return fmt.Errorf("-store %q: want postgres or sqlite", o.store)
	case o.nodes < 1 || (o.store == "sqlite" && o.nodes != 1):
		return fmt.Errorf("-nodes %d: want 1 or more, and 1 on sqlite (one file, one machine)", o.nodes)
	case o.concurrency < 1 || o.tokens < o.concurrency:
		return fmt.Errorf("-c %d, -tokens %d: want -c >= 1 and at least one token per sender", o.concurrency, o.tokens)
	}
	return nil
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "otpgate-nodes-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.otpgate
	if bin == "" {
		if bin, err = buildOtpgate(dir); err != nil {
			return err
		}
	}
	db, pgPID, cleanup, err := openDB(ctx, o.store, dir)
	if err != nil {
		return err
	}
	defer cleanup()
	keyFile := filepath.Join(dir, "master.key")
	box, err := secretbox.LoadOrCreate(keyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "nodes-bench: enrolling %d HOTP tokens\n", o.tokens)
	users, err := enrollUsers(ctx, db, box, o.tokens)
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	secret := []byte(rand.Text())
	secretFile := filepath.Join(dir, "nas.secret")
	if err := os.WriteFile(secretFile, append(secret, '\n'), 0o600); err != nil {
		return err
	}
	nodes, err := startNodes(bin, dir, db, keyFile, secretFile, o)
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	if err != nil {
		return err
	}
	cfg := loadConfig{secret: secret, concurrency: o.concurrency, warmup: o.warmup, duration: o.duration, timeout: 5 * time.Second}
	for _, n := range nodes {
		cfg.servers = append(cfg.servers, n.radius)
	}
	fmt.Fprintf(os.Stderr, "nodes-bench: %d senders on %d node(s) for %v after %v\n", o.concurrency, o.nodes, o.duration, o.warmup)
	cpu := make(chan [2]time.Duration, 1)
	go func() { // the CPU already spent when the measurement starts
		time.Sleep(o.warmup)
		cpu <- cpuOf(nodes, pgPID)
	}()
	res, err := load(ctx, cfg, users)
	if err != nil {
		return err
	}
	after, before := cpuOf(nodes, pgPID), <-cpu
	res.otpgateCPU, res.postgresCPU = after[0]-before[0], after[1]-before[1]
	report(o, res)
	return nil
}

// cpuOf is the CPU time the nodes and PostgreSQL (pgPID, 0 for none) have
// used so far.
func cpuOf(nodes []*node, pgPID int) [2]time.Duration {
	var c [2]time.Duration
	for _, n := range nodes {
		c[0] += treeCPU(n.cmd.Process.Pid)
	}
	if pgPID != 0 {
		c[1] = treeCPU(pgPID)
	}
	return c
}

// openDB returns the database the nodes share: a new cluster's database,
// with the cluster's process id, or a SQLite file in dir.
func openDB(ctx context.Context, storeName, dir string) (string, int, func(), error) {
	if storeName == "sqlite" {
		return filepath.Join(dir, "otpgate.db"), 0, func() {}, nil
	}
	fmt.Fprintln(os.Stderr, "nodes-bench: starting PostgreSQL (fsync on)")
	c, err := startCluster()
	if err != nil {
		return "", 0, nil, err
	}
	if err := c.exec(ctx, "CREATE DATABASE otpgate"); err != nil {
		c.stop()
		return "", 0, nil, fmt.Errorf("create database: %w", err)
	}
	return c.url("otpgate"), c.proc.Process.Pid, c.stop, nil
}

func startNodes(bin, dir, db, keyFile, secretFile string, o options) ([]*node, error) {
	var nodes []*node
	for i := range o.nodes {
		n, err := startNode(bin, filepath.Join(dir, fmt.Sprintf("node%d", i+1)), db, keyFile, secretFile, o.logLevel)
		if err != nil {
			return nodes, fmt.Errorf("node %d: %w", i+1, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func report(o options, r *result) {
	n := len(r.latencies)
	rate := float64(r.accepts) / r.elapsed.Seconds()
	p50, p99 := latency.Quantile(r.latencies, 0.50), latency.Quantile(r.latencies, 0.99)
	load := loadAverage()
	perLogin := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(n, 1)) }
	otpgateCPU, postgresCPU := perLogin(r.otpgateCPU), perLogin(r.postgresCPU)
	fmt.Printf("%s x%d: %d senders, %v: %d logins answered, %.0f accepted logins/s; p50 %.1fms, p99 %.1fms; "+
		"CPU per login: otpgate %.0f µs, PostgreSQL %.0f µs; load average %s\n",
		o.store, o.nodes, o.concurrency, o.duration, n, rate, latency.MS(p50), latency.MS(p99), otpgateCPU, postgresCPU, load)
	fmt.Printf("RESULT store=%s nodes=%d c=%d logins_per_s=%.0f p50_ms=%.1f p99_ms=%.1f rejects=%d timeouts=%d errors=%d otpgate_cpu_us=%.0f postgres_cpu_us=%.0f load=%s\n",
		o.store, o.nodes, o.concurrency, rate, latency.MS(p50), latency.MS(p99), r.rejects, r.timeouts, r.errors, otpgateCPU, postgresCPU, strings.Fields(load)[0])
	if r.rejects+r.timeouts+r.errors > 0 {
		fmt.Fprintf(os.Stderr, "nodes-bench: warning: %d rejects, %d timeouts, %d errors: every login should be accepted\n",
			r.rejects, r.timeouts, r.errors)
	}
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "? ? ?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "? ? ?"
	}
	return strings.Join(f[:3], " ")
}
