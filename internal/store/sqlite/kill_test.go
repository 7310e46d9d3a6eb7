package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// streamEnv makes the test binary a child that commits without pause (see
// stream); oneShotEnv makes it open a one-shot store per commit, as the
// OpenVPN hooks do.
const (
	streamEnv  = "OTPGATE_SQLITE_TEST_STREAM"
	oneShotEnv = "OTPGATE_SQLITE_TEST_ONESHOT"
	killTokens = 8
)

// stream commits counters 1, 2, 3 ... on each of killTokens tokens, from
// one goroutine per token, and prints "ID N" once each commit returned
// Committed, until it is killed.
func stream(path string, oneShot bool) int {
	ctx := context.Background()
	var out sync.Mutex
	commit := func(s *Store, id string, n int64) {
		c, err := s.CommitSuccess(ctx, store.Success{TokenID: id, Next: n, Now: time.Now()})
		if err != nil || c != store.Committed {
			fmt.Fprintln(os.Stderr, id, n, c, err)
			os.Exit(1)
		}
		out.Lock()
		fmt.Printf("%s %d\n", id, n)
		out.Unlock()
	}
	shared, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var wg sync.WaitGroup
	for i := range killTokens {
		wg.Go(func() {
			for n := int64(1); ; n++ {
				s := shared
				if oneShot {
					var err error
					if s, err = OpenWith(ctx, path, Options{OneShot: true}); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
				}
				commit(s, fmt.Sprintf("tok%d", i), n)
				if oneShot {
					s.Close()
				}
			}
		})
	}
	wg.Wait()
	return 0
}

// TestKilledUnderLoad: a process committing successes on several tokens at
// once gets SIGKILL; every counter it acknowledged is in the database after
// a restart, and is refused as a replay. With one-shot stores (a store
// opened per commit, the WAL left behind on close) as with one long-lived
// store.
func TestKilledUnderLoad(t *testing.T) {
	for _, oneShot := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneshot=%v", oneShot), func(t *testing.T) { killUnderLoad(t, oneShot) })
	}
}

func killUnderLoad(t *testing.T, oneShot bool) {
	path := filepath.Join(t.TempDir(), "killed.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range killTokens {
		addToken(t, s, fmt.Sprintf("tok%d", i))
	}
	s.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), streamEnv+"="+path, oneShotEnv+"="+strconv.FormatBool(oneShot))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	lines := bufio.NewScanner(pipe)
	before := 40 * killTokens // acknowledgments before the kill
	if oneShot {
		before = 10 * killTokens
	}
	// The kill comes once every token has an acknowledgment: goroutines
	// are not scheduled fairly, and a fast one-shot child may commit
	// dozens of times on one token before another's first. A child that
	// stops acknowledging is killed after a minute and fails below.
	stall := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	for n := 0; (n < before || len(acked) < killTokens) && lines.Scan(); n++ {
		ack(t, acked, lines.Text())
	}
	stall.Stop()
	cmd.Process.Kill()
	for lines.Scan() { // acknowledged before the kill, still in the pipe
		ack(t, acked, lines.Text())
	}
	cmd.Wait()
	if len(acked) != killTokens {
		t.Fatalf("the child acknowledged commits on %d tokens (%v); want %d; stderr: %s", len(acked), acked, killTokens, stderr.String())
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer s.Close()
	for id, n := range acked {
		tok, err := s.Token(context.Background(), id)
		if err != nil || tok.Next < n {
			t.Errorf("%s after the kill: Next %d, %v; want at least %d, the last counter acknowledged", id, tok.Next, err, n)
		}
		if c, err := s.CommitSuccess(context.Background(), store.Success{TokenID: id, Next: n, Now: time.Now()}); c != store.Replayed || err != nil {
			t.Errorf("%s: counter %d again after the kill = %v, %v; want Replayed", id, n, c, err)
		}
	}
}

func ack(t *testing.T, acked map[string]int64, line string) {
	id, v, ok := strings.Cut(line, " ")
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		t.Fatalf("child line %q", line)
	}
	acked[id] = max(acked[id], n)
}

// A one-shot store leaves its WAL on Close (no checkpoint, no delete), and
// the next process reads what it committed from it.
func TestOneShotLeavesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oneshot.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	addToken(t, s, "tok")
	s.Close()
	for n := int64(1); n <= 3; n++ {
		s, err := OpenWith(context.Background(), path, Options{OneShot: true})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: n, Now: time.Now()}); c != store.Committed || err != nil {
			t.Fatalf("one-shot commit %d = %v, %v", n, c, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("after a one-shot Close, the WAL: %v, %v; want it kept", fi, err)
		}
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tok, err := s.Token(context.Background(), "tok"); err != nil || tok.Next != 3 {
		t.Errorf("Next after three one-shot commits = %d, %v; want 3", tok.Next, err)
	}
}
