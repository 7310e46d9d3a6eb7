package auditlog_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
)

// Environment of the child process of TestKilledProcessLosesNoLine.
const (
	childDB   = "OTPGATE_AUDITLOG_TEST_DB"
	childFile = "OTPGATE_AUDITLOG_TEST_FILE"
)

// TestKilledProcessLosesNoLine: a process appending events through a Log is
// killed with SIGKILL while it writes, five times over; after each restart
// the file holds every event of the store exactly once, in seq order
// (issue 12, item 5: the old Log lost the lines still queued).
func TestKilledProcessLosesNoLine(t *testing.T) {
	s := newSite(t)
	lost := 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildAppends$", "-test.count=1")
		cmd.Env = append(os.Environ(), childDB+"="+s.db, childFile+"="+s.file)
		out := new(testpeer.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once it has written some lines: mid-stream, at whatever
		// point the copier is.
		for deadline := time.Now().Add(time.Minute); fileLines(s.file) < 200*(round+1); {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: the child wrote no lines in a minute:\n%s", round, out)
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		trail := s.trail(t)
		lost += len(trail) - fileLines(s.file)

		l := s.tee(t) // the restart
		flush(t, l)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got := s.lines(t)
		if !reflect.DeepEqual(got, trail) {
			t.Fatalf("round %d: after the restart the file holds %d lines, the store %d events; want the same, in order", round, len(got), len(trail))
		}
	}
	t.Logf("lines missing at the kills, written at the restarts: %d", lost)
}

// TestChildAppends is the child of TestKilledProcessLosesNoLine; it does
// nothing in a normal run. It appends events from 8 goroutines until killed.
func TestChildAppends(t *testing.T) {
	if os.Getenv(childDB) == "" {
		return
	}
	s := site{db: os.Getenv(childDB), file: os.Getenv(childFile)}
	l := s.tee(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if err := l.AppendAudit(context.Background(), event(g*1_000_000+i)); err != nil {
					fmt.Println(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// fileLines counts the newlines of the file at path.
func fileLines(path string) int {
	b, _ := os.ReadFile(path)
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
