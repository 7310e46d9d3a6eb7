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
			ok, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: next, Now: time.Now()})
			if err != nil {
				t.Errorf("CommitSuccess(%d) = %v", next, err)
			}
			if ok == store.Committed {
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
		f, err := s.RecordFailure(t.Context(), store.Attempt{TokenID: "x", Now: time.Now(), MaxFailures: maxFailures, LockUntil: store.Forever, Event: failEvent})
		if err != nil {
			t.Errorf("RecordFailure = %v", err)
			return
		}
		if locked := !f.LockedUntil.IsZero(); locked != (f.Failures >= maxFailures) {
			t.Errorf("RecordFailure = %+v; want locked from the %dth failure", f, maxFailures)
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

// failEvent is the audit event of a failure in these tests.
func failEvent(f store.Failure) store.AuditEvent {
	return store.AuditEvent{Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: "x",
		Result: store.ResultFail, Reason: fmt.Sprintf("failure %d", f.Failures)}
}

// TestLockoutAcrossNodes: failures on every node race one success; the
// success commits only if fewer than the limit of failures committed
// before it, on whichever node (issue 12, item 1).
func TestLockoutAcrossNodes(t *testing.T) {
	const maxFailures = 5
	ss := openNodes(t)
	for round := range 20 {
		if err := ss[0].Unlock(t.Context(), "x"); err != nil {
			t.Fatal(err)
		}
		var (
			mu   sync.Mutex
			n    int
			c    store.Commit
			cerr error
		)
		raceNodes(ss, func(s *Store) {
			mu.Lock()
			n++
			first := n == round%(nodes*racersByNode)+1
			mu.Unlock()
			if first {
				c, cerr = s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: 2000 + int64(round), Now: time.Now()})
				return
			}
			a := store.Attempt{TokenID: "x", Now: time.Now(), MaxFailures: maxFailures, LockUntil: store.Forever, Event: failEvent}
			if _, err := s.RecordFailure(t.Context(), a); err != nil {
				t.Errorf("RecordFailure = %v", err)
			}
		})
		tok, err := ss[0].Token(t.Context(), "x")
		if err != nil || cerr != nil {
			t.Fatalf("round %d: %v, %v", round, err, cerr)
		}
		if before := nodes*racersByNode - 1 - tok.Failures; c == store.Committed && before >= maxFailures {
			t.Errorf("round %d: the success committed after %d failures; want it refused after %d", round, before, maxFailures)
		}
	}
}

// TestNoOutcomeWithoutItsEvent: when the audit event cannot be inserted,
// the success or failure it records is not stored either: each is one
// transaction with its event.
func TestNoOutcomeWithoutItsEvent(t *testing.T) {
	ss := openNodes(t)
	s := ss[0]
	_, err := s.pool.Exec(t.Context(), `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN RAISE EXCEPTION 'audit refused'; END$$;
		CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse_audit()`)
	if err != nil {
		t.Fatal(err)
	}
	ev := store.AuditEvent{Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: "x", Result: store.ResultOK}
	if c, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: 1001, Now: time.Now(), Event: ev}); c == store.Committed || err == nil {
		t.Errorf("CommitSuccess with the audit refused = %v, %v; want an error", c, err)
	}
	a := store.Attempt{TokenID: "x", Now: time.Now(), MaxFailures: 1, LockUntil: store.Forever, Event: failEvent}
	if _, err := s.RecordFailure(t.Context(), a); err == nil {
		t.Errorf("RecordFailure with the audit refused = nil error; want one")
	}
	if tok, err := s.Token(t.Context(), "x"); err != nil || tok.Next != 1000 || tok.Failures != 0 || !tok.LockedUntil.IsZero() {
		t.Errorf("token after refused events = Next %d, Failures %d, LockedUntil %v, %v; want unchanged", tok.Next, tok.Failures, tok.LockedUntil, err)
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
