package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"otpgate.dev/otpgate/internal/testpeer"
)

// burstSize is how many codes one burst submits at once.
const burstSize = 200

// stores runs test on a new SQLite file and on a new PostgreSQL database,
// of the shared cluster or, when pg is not nil, the database pg makes.
func stores(t *testing.T, pg func(t *testing.T) string, test func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "otpgate.db")) })
	t.Run("postgres", func(t *testing.T) {
		if pg == nil {
			test(t, testpeer.Postgres(t))
		} else {
			test(t, pg(t))
		}
	})
}

// TestLockoutBurstRADIUS: bursts of 200 codes from radclient, 200 in
// parallel, to otpgate serve, the right code at each position from 1 to
// 200 in turn: no burst accepts a code once max_failures failures are
// counted (issue 12, item 1).
func TestLockoutBurstRADIUS(t *testing.T) {
	stores(t, nil, func(t *testing.T, db string) {
		s := newSite(t, db)
		d := s.serve(t)
		accepted := 0
		for pos := 1; pos <= burstSize; pos++ {
			if s.burst(t, burstSize, pos, func(codes []string) int { return s.radclient(t, d, codes) }) {
				accepted++
			}
		}
		t.Logf("%d of %d bursts accepted their right code", accepted, burstSize)
	})
}

// TestLockoutBurstCLI: bursts of 200 `otpgate verify` processes on one
// store, started together: what binds the lockout here is the store's
// conditional write alone, since no two guesses share a process.
func TestLockoutBurstCLI(t *testing.T) {
	positions := []int{1, 2, maxFailures, maxFailures + 1, 50, 100, burstSize}
	// Each process opens a connection to migrate and one in its pool. 200
	// processes authenticating at once on a busy test machine may take
	// longer than the default 5 s connect timeout, and the last of 200
	// failures queued on one token's row lock longer than the default 5 s
	// statement timeout: what is tested here is the lockout, not how fast
	// PostgreSQL takes a storm of connections and commits.
	bigCluster := func(t *testing.T) string {
		c := testpeer.NewPostgres(t, fmt.Sprintf("max_connections=%d", 2*burstSize+50))
		return c.NewDB(t) + "&connect_timeout=120&statement_timeout=120s"
	}
	stores(t, bigCluster, func(t *testing.T, db string) {
		s := newSite(t, db)
		accepted := 0
		for _, pos := range positions {
			if s.burst(t, burstSize, pos, func(codes []string) int { return s.verifyProcs(t, codes) }) {
				accepted++
			}
		}
		t.Logf("%d of %d bursts accepted their right code", accepted, len(positions))
	})
}

// radclientReply matches radclient's line for one reply.
var radclientReply = regexp.MustCompile(`(?m)^Received (Access-Accept|Access-Reject) Id \d+ `)

// radclient sends one Access-Request per code, all in parallel, and returns
// how many were accepted.
func (s *site) radclient(t *testing.T, d *daemon, codes []string) int {
	t.Helper()
	bin := testpeer.Need(t, "radclient")[0]
	var reqs strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&reqs, "User-Name = %q, User-Password = %q, Message-Authenticator = 0x00\n\n", s.user, c)
	}
	file := filepath.Join(s.dir, "burst.req")
	if err := os.WriteFile(file, []byte(reqs.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", fmt.Sprint(len(codes)), "-r", "1", "-t", "60", "-S", s.secretFile, "-f", file, d.radius, "auth")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	replies := radclientReply.FindAllSubmatch(out, -1)
	if len(replies) != len(codes) {
		t.Fatalf("radclient got %d replies to %d requests:\n%s%s", len(replies), len(codes), out, stderr.Bytes())
	}
	accepts := 0
	for _, r := range replies {
		if string(r[1]) == "Access-Accept" {
			accepts++
		}
	}
	return accepts
}

// verifyProcs starts one `otpgate verify USER -` per code, then gives every
// one its code on standard input at once, and returns how many exited 0
// (accepted).
func (s *site) verifyProcs(t *testing.T, codes []string) int {
	t.Helper()
	type proc struct {
		cmd *exec.Cmd
		in  *os.File
		out bytes.Buffer
	}
	procs := make([]*proc, len(codes))
	for i := range procs {
		p := &proc{cmd: exec.Command(otpgateBin, "verify", s.user, "-", "--config", s.config)}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		p.cmd.Stdin, p.in = r, w
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		procs[i] = p
	}
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() {
			fmt.Fprintln(p.in, codes[i])
			p.in.Close()
		})
	}
	wg.Wait()
	accepts := 0
	for i, p := range procs {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			accepts++
		case errors.As(err, &ee) && ee.ExitCode() == 1 && bytes.Contains(p.out.Bytes(), []byte("code refused")):
		default:
			t.Fatalf("otpgate verify #%d: %v\n%s", i+1, err, p.out.String())
		}
	}
	return accepts
}
