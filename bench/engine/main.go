// Command engine measures replay-safe verifications per second through
// otpgate's verification engine on the embedded SQLite store (issue 3, item
// 10): it enrolls N tokens into a new database, then runs C concurrent
// clients that each act as the tokens of their own share of the users and
// submit valid codes for random users for a fixed duration. Every
// verification is the full path: read the user's tokens, open the sealed
// seed, check the window, commit the success with the conditional update,
// append the audit event.
//
// Usage:
//
//	go run ./bench/engine [-tokens 10000] [-clients 512] [-duration 10s] [-type hotp|totp] [-db FILE [-reuse]]
//
// With -reuse, an existing -db made by an earlier run with the same -tokens
// and -type is verified again without enrolling: the clients start from the
// counters stored in it. Enrolling a million tokens takes minutes.
//
// It prints the enrollment time, verifications per second, p50 and p99
// latency, refusals (which must be 0) and the process's maximum RSS.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"otpgate.dev/otpgate/bench/internal/seed"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

type config struct {
	tokens   int
	clients  int
	duration time.Duration
	typ      store.TokenType
	db       string
	speed    int
	cpuprof  string
	audit    bool
	reuse    bool
}

func main() {
	var c config
	var typ string
	flag.IntVar(&c.tokens, "tokens", 10_000, "tokens to enroll, one per user")
	flag.IntVar(&c.clients, "clients", 512, "concurrent verifications")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long to verify")
	flag.StringVar(&typ, "type", "hotp", "token type: hotp or totp")
	flag.StringVar(&c.db, "db", "", "new database file to create (default: one in a temporary directory, removed afterwards)")
	flag.IntVar(&c.speed, "speed", 100, "totp: how much faster than real time the engine's clock runs, so tokens get fresh steps (keep a step well above the p99 latency)")
	flag.BoolVar(&c.audit, "audit", true, "append the audit events; -audit=false measures what they cost")
	flag.BoolVar(&c.reuse, "reuse", false, "verify against the existing -db, made by an earlier run with the same -tokens and -type")
	flag.StringVar(&c.cpuprof, "cpuprofile", "", "write a CPU profile of the verification phase to `file`")
	flag.Parse()
	c.typ = store.TokenType(typ)
	if c.typ != store.HOTP && c.typ != store.TOTP || c.tokens < c.clients || c.clients < 1 {
		fmt.Fprintln(os.Stderr, "engine: error: -type must be hotp or totp, and -tokens at least -clients (at least 1)")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "engine: error:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx := context.Background()
	if c.db == "" {
		dir, err := os.MkdirTemp("", "otpgate-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.db = filepath.Join(dir, "otpgate.db")
	} else if _, err := os.Stat(c.db); err == nil && !c.reuse {
		return fmt.Errorf("%s exists; -db names a new database file, or add -reuse", c.db)
	}
	box, err := secretbox.New(seedKey(-1, secretbox.KeySize))
	if err != nil {
		return err
	}
	if !c.reuse {
		start := time.Now()
		t := seed.Tokens{N: c.tokens, Type: c.typ, Name: userName, Key: func(i int) []byte { return seedKey(i, enroll.OATHSecretSize) }}
		if err := seed.Enroll(ctx, c.db, box, t); err != nil {
			return err
		}
		fmt.Printf("enrolled %d %s tokens in %v\n", c.tokens, c.typ, time.Since(start).Round(time.Millisecond))
	}
	st, err := sqlite.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	counters := make([]int64, c.tokens)
	if c.reuse {
		if err := readCounters(ctx, st, c, counters); err != nil {
			return err
		}
	}
	clk := newClock(c)
	var es store.Store = st
	if !c.audit {
		es = noAudit{st}
	}
	eng := engine.New(es, box, engine.DefaultPolicy(), clk.now)
	stopProfile, err := startProfile(c.cpuprof)
	if err != nil {
		return err
	}
	cpu0 := cpuTime()
	s := load(ctx, eng, st, clk, c, counters)
	cpu := cpuTime() - cpu0
	stopProfile()
	s.print(c)
	fmt.Printf("CPU %v per verification (user+system), max RSS %d MiB\n",
		(cpu / time.Duration(max(s.ok, 1))).Round(100*time.Nanosecond), maxRSS()>>20)
	return nil
}

// seedKey derives user i's token seed (and, for i = -1, the master key), so
// that clients need not keep a million keys in memory.
func seedKey(i int, n int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(int64(i)))
	sum := sha256.Sum256(append([]byte("otpgate bench seed"), b[:]...))
	return sum[:n]
}

func userName(i int) string { return fmt.Sprintf("u%08d", i) }

// readCounters sets counters[i] to what user i's client must continue from
// in a reused database: the HOTP counter to send next, or the last TOTP step
// used.
func readCounters(ctx context.Context, st store.Store, c config, counters []int64) error {
	n := 0
	err := st.ForEachToken(ctx, func(t store.Token) error {
		var i int
		if _, err := fmt.Sscanf(t.User, "u%08d", &i); err != nil || i < 0 || i >= c.tokens || t.Type != c.typ {
			return fmt.Errorf("token of user %q: the database was not made with -tokens %d -type %s", t.User, c.tokens, c.typ)
		}
		counters[i] = t.Next
		if c.typ == store.TOTP {
			counters[i]--
		}
		n++
		return nil
	})
	if err == nil && n != c.tokens {
		err = fmt.Errorf("the database holds %d tokens, not -tokens %d", n, c.tokens)
	}
	return err
}

// noAudit drops audit events.
type noAudit struct{ store.Store }

func (noAudit) AppendAudit(context.Context, store.AuditEvent) error { return nil }

func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// cpuTime is the CPU time the process used so far: on a machine shared with
// other work, CPU per verification varies less than verifications per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}
