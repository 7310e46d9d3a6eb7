package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// childEnv makes the test binary a committing child process (see child).
const childEnv = "OTPGATE_SQLITE_TEST_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(child(path))
	}
	if path := os.Getenv(streamEnv); path != "" {
		os.Exit(stream(path, os.Getenv(oneShotEnv) == "true"))
	}
	os.Exit(m.Run())
}

// child opens the database at path, says "ready", then for every counter N
// read from stdin commits N on token "tok" and prints true or false.
func child(path string) int {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		next, err := strconv.ParseInt(in.Text(), 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		c, err := s.CommitSuccess(ctx, store.Success{TokenID: "tok", Next: next, Now: time.Now()})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(c == store.Committed)
	}
	return 0
}

type proc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

func startChild(t *testing.T, path string) *proc {
	p := &proc{cmd: exec.Command(os.Args[0])}
	p.cmd.Env = append(os.Environ(), childEnv+"="+path)
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewScanner(out)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

func (p *proc) line(t *testing.T) string {
	if !p.out.Scan() {
		t.Fatalf("child %d ended: %v; stderr: %s", p.cmd.Process.Pid, p.out.Err(), p.stderr.String())
	}
	return p.out.Text()
}

// TestMultiProcessCommit: 8 processes commit the same counter on one
// database file at once; exactly one succeeds, round after round. The
// processes also create and migrate the database together.
func TestMultiProcessCommit(t *testing.T) {
	const (
		procs  = 8
		rounds = 30
	)
	path := filepath.Join(t.TempDir(), "shared.db")
	var ps []*proc
	for range procs {
		ps = append(ps, startChild(t, path))
	}
	for _, p := range ps {
		if got := p.line(t); got != "ready" {
			t.Fatalf("child said %q; want ready", got)
		}
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addToken(t, s, "tok")

	for round := int64(1); round <= rounds; round++ {
		for _, p := range ps {
			fmt.Fprintln(p.in, round)
		}
		wins := 0
		for _, p := range ps {
			if p.line(t) == "true" {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d of %d processes committed counter %d; want exactly 1", round, wins, procs, round)
		}
	}
	for _, p := range ps {
		p.in.Close()
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("child: %v; stderr: %s", err, p.stderr.String())
		}
	}
	if tok, err := s.Token(context.Background(), "tok"); err != nil || tok.Next != rounds {
		t.Errorf("Token.Next after %d rounds = %d, %v; want %d", rounds, tok.Next, err, rounds)
	}
}
