package pgstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// Several stores on one database stand for several otpgate nodes: each has
// its own pool, so their statements race inside PostgreSQL as separate
// processes' would.
const (
	nodes        = 3
	racersByNode = 16
)

// openNodes opens nodes stores on one new database, with user alice and
// her token x at Next 1000.
func openNodes(t *testing.T) []*Store {
	u := testpeer.Postgres(t)
	ss := make([]*Store, nodes)
	for i := range ss {
		ss[i] = openURL(t, u)
	}
	if _, err := ss[0].CreateUser(t.Context(), "alice"); err != nil {
		t.Fatalf("CreateUser = %v", err)
	}
	tok := &store.Token{ID: "x", User: "alice", Type: store.TOTP, Enabled: true, Secret: []byte("sealed"), Next: 1000}
	if err := ss[0].AddToken(t.Context(), tok); err != nil {
		t.Fatalf("AddToken = %v", err)
	}
	return ss
}

// raceNodes calls fn from racersByNode goroutines on each node, all
// released at once.
func raceNodes(ss []*Store, fn func(s *Store)) {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for _, s := range ss {
		for range racersByNode {
			wg.Go(func() {
				<-start
				fn(s)
			})
		}
	}
	close(start)
	wg.Wait()
}

// TestCommitSuccessAcrossNodes: the same code, sent to every node at once,
// is accepted exactly once, round after round.
func TestCommitSuccessAcrossNodes(t *testing.T) {
	ss := openNodes(t)
	const rounds = 40
	for round := range int64(rounds) {
		next := 2000 + round
		var (
			mu   sync.Mutex
			wins int
		)
		raceNodes(ss, func(s *Store) {
			ok, err := s.CommitSuccess(t.Context(), "x", next, 0, time.Now())
			if err != nil {
				t.Errorf("CommitSuccess(%d) = %v", next, err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
		if wins != 1 {
			t.Fatalf("round %d: %d of %d CommitSuccess(%d) across %d nodes returned true; want exactly 1",
				round, wins, nodes*racersByNode, next, nodes)
		}
	}
	for i, s := range ss {
		if tok, err := s.Token(t.Context(), "x"); err != nil || tok.Next != 2000+rounds-1 {
			t.Errorf("node %d: Token(x).Next = %d, %v; want %d", i, tok.Next, err, 2000+rounds-1)
		}
	}
}

// TestRecordFailureAcrossNodes: lockout counts the failures of every node.
func TestRecordFailureAcrossNodes(t *testing.T) {
	ss := openNodes(t)
	const maxFailures = 10
	var (
		mu   sync.Mutex
		seen = map[int]int{}
	)
	raceNodes(ss, func(s *Store) {
		f, err := s.RecordFailure(t.Context(), "x", time.Now(), maxFailures, store.Forever)
		if err != nil {
			t.Errorf("RecordFailure = %v", err)
			return
		}
		if locked := !f.LockedUntil.IsZero(); locked != (f.Failures > maxFailures) {
			t.Errorf("RecordFailure = %+v; want locked iff Failures > %d", f, maxFailures)
		}
		mu.Lock()
		seen[f.Failures]++
		mu.Unlock()
	})
	const total = nodes * racersByNode
	for n := 1; n <= total; n++ {
		if seen[n] != 1 {
			t.Errorf("%d RecordFailure calls returned Failures = %d; want exactly one", seen[n], n)
		}
	}
	tok, err := ss[1].Token(t.Context(), "x")
	if err != nil || tok.Failures != total || !tok.Locked(time.Now()) {
		t.Errorf("Token(x) after %d failures on %d nodes: Failures %d, locked %v, %v; want %d and locked",
			total, nodes, tok.Failures, tok.Locked(time.Now()), err, total)
	}
}

// TestTakeChallengeAcrossNodes: a challenge answered on every node at once
// is taken by one.
func TestTakeChallengeAcrossNodes(t *testing.T) {
	ss := openNodes(t)
	for round := range 10 {
		id := fmt.Sprintf("challenge-%d", round)
		c := store.Challenge{ID: id, User: "alice", Kind: "radius", Data: []byte{1}, Expires: time.Now().Add(time.Hour)}
		if err := ss[round%nodes].PutChallenge(t.Context(), c); err != nil {
			t.Fatalf("PutChallenge = %v", err)
		}
		var (
			mu    sync.Mutex
			takes int
		)
		raceNodes(ss, func(s *Store) {
			if _, err := s.TakeChallenge(t.Context(), id, time.Now()); err == nil {
				mu.Lock()
				takes++
				mu.Unlock()
			}
		})
		if takes != 1 {
			t.Fatalf("round %d: the challenge was taken %d times across %d nodes; want once", round, takes, nodes)
		}
	}
}
