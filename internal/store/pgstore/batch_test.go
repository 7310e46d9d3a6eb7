package pgstore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// TestGroupCommitAcrossNodes: logins on many tokens at once, each code sent
// to two nodes, are committed in batches, and still each code exactly once,
// each with its one event; a disabled token's and a missing token's
// successes in the same batches get their own answers.
func TestGroupCommitAcrossNodes(t *testing.T) {
	ss := openNodes(t)
	const tokens, rounds = 48, 10
	ctx := t.Context()
	for i := range tokens {
		tok := &store.Token{ID: fmt.Sprintf("t%02d", i), User: "alice", Type: store.HOTP, Enabled: true, Secret: []byte("sealed")}
		if err := ss[0].AddToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss[0].AddToken(ctx, &store.Token{ID: "off", User: "alice", Type: store.HOTP, Secret: []byte("sealed")}); err != nil {
		t.Fatal(err)
	}
	for round := range int64(rounds) {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins = map[string]int{}
		)
		start := make(chan struct{})
		commit := func(s *Store, id string) (store.Commit, error) {
			<-start
			ev := store.AuditEvent{Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: id, Result: store.ResultOK}
			return s.CommitSuccess(ctx, store.Success{TokenID: id, Next: round + 1, Now: time.Now(), Event: ev})
		}
		for i := range tokens {
			id := fmt.Sprintf("t%02d", i)
			for n := range 2 {
				wg.Go(func() {
					c, err := commit(ss[(i+n)%len(ss)], id)
					if err != nil {
						t.Errorf("round %d: CommitSuccess(%s) = %v", round, id, err)
					}
					if c == store.Committed {
						mu.Lock()
						wins[id]++
						mu.Unlock()
					}
				})
			}
		}
		wg.Go(func() {
			if c, err := commit(ss[0], "off"); c != store.Disabled || err != nil {
				t.Errorf("round %d: CommitSuccess(off) = %v, %v; want Disabled", round, c, err)
			}
		})
		wg.Go(func() {
			if _, err := commit(ss[1], "gone"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("round %d: CommitSuccess(gone) = %v; want ErrNotFound", round, err)
			}
		})
		close(start)
		wg.Wait()
		for i := range tokens {
			if id := fmt.Sprintf("t%02d", i); wins[id] != 1 {
				t.Fatalf("round %d: %s committed %d times; want exactly 1", round, id, wins[id])
			}
		}
	}
	var events int
	if err := ss[0].pool.QueryRow(ctx, `SELECT count(*) FROM audit WHERE action = $1`, string(store.ActionVerify)).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != tokens*rounds {
		t.Errorf("%d verify events; want %d, one per committed success", events, tokens*rounds)
	}
	for i := range tokens {
		if tok, err := ss[2].Token(ctx, fmt.Sprintf("t%02d", i)); err != nil || tok.Next != rounds {
			t.Errorf("t%02d: Next %d, %v; want %d", i, tok.Next, err, rounds)
		}
	}
	var batched int64
	for _, s := range ss {
		batched += s.batch.batched.Load()
	}
	if batched == 0 {
		t.Errorf("no success was committed in a batch of more than one: the test did not exercise the group commit")
	}
	t.Logf("%d of %d successes committed in batches", batched, tokens*rounds)
}
