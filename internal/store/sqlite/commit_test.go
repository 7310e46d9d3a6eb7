package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// batch runs the given writes as one group commit: it holds the committer
// with a write of its own until all of them are queued, so that the next
// transaction takes them together.
func batch(t *testing.T, s *Store, writes ...func() error) []error {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	go s.c.do(context.Background(), &op{alone: true, run: func(*writer) error {
		close(started)
		<-release
		return nil
	}})
	<-started
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { errs[i] = w() })
	}
	for len(s.c.ops) < len(writes) {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	return errs
}

// sabotage is a write whose statement succeeds but whose transaction cannot
// commit: a token of a user that does not exist, its foreign key check
// deferred to COMMIT.
func sabotage(s *Store) func() error {
	return func() error {
		return s.c.do(context.Background(), &op{run: func(w *writer) error {
			if _, err := w.conn.ExecContext(context.Background(), "PRAGMA defer_foreign_keys = ON"); err != nil {
				return err
			}
			orphan := &store.Token{ID: "orphan", User: "nobody", Secret: []byte{1}}
			_, err := w.exec(sqlstore.InsertToken, sqlstore.TokenArgs(orphan)...)
			return err
		}})
	}
}

func commitWrites(s *Store, ids []string, next int64, oks []store.Commit) []func() error {
	var ws []func() error
	for i, id := range ids {
		ws = append(ws, func() error {
			var err error
			oks[i], err = s.CommitSuccess(context.Background(), store.Success{TokenID: id, Next: next, Now: time.Now()})
			return err
		})
	}
	return ws
}

func tokens(t *testing.T, s *Store, n int) []string {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("tok%d", i)
		addToken(t, s, id)
		ids = append(ids, id)
	}
	return ids
}

// TestFailedCommitFailsEveryCaller: no write reports success before its
// transaction committed.
func TestFailedCommitFailsEveryCaller(t *testing.T) {
	s, _ := openTemp(t)
	ids := tokens(t, s, 20)
	oks := make([]store.Commit, len(ids))
	errs := batch(t, s, append(commitWrites(s, ids, 5, oks), sabotage(s))...)
	for i, id := range ids {
		if errs[i] == nil || oks[i] == store.Committed {
			t.Errorf("CommitSuccess(%s) in a transaction that failed to commit = %v, %v; want an error", id, oks[i], errs[i])
		}
		if tok, err := s.Token(context.Background(), id); err != nil || tok.Next != 0 {
			t.Errorf("Token(%s).Next after the failed commit = %d, %v; want 0", id, tok.Next, err)
		}
	}
	if errs[len(ids)] == nil {
		t.Errorf("the sabotaging write = nil error; want the commit's error")
	}
	// The next transaction is fine.
	if c, err := s.CommitSuccess(context.Background(), store.Success{TokenID: ids[0], Next: 5, Now: time.Now()}); c != store.Committed || err != nil {
		t.Errorf("CommitSuccess after a failed transaction = %v, %v; want committed", c, err)
	}
}

// TestBadWriteSparesItsBatch: a write whose statement aborts the
// transaction fails alone; the rest of its batch is retried and commits.
func TestBadWriteSparesItsBatch(t *testing.T) {
	s, _ := openTemp(t)
	ids := tokens(t, s, 20)
	oks := make([]store.Commit, len(ids))
	boom := errors.New("boom")
	bad := func() error {
		return s.c.do(context.Background(), &op{run: func(*writer) error { return boom }})
	}
	writes := commitWrites(s, ids, 5, oks)
	writes = append(writes[:10:10], append([]func() error{bad}, writes[10:]...)...)
	errs := batch(t, s, writes...)
	for i, err := range errs {
		switch {
		case i == 10 && !errors.Is(err, boom):
			t.Errorf("bad write = %v; want boom", err)
		case i != 10 && err != nil:
			t.Errorf("write %d beside a bad one = %v; want nil", i, err)
		}
	}
	for i, c := range oks {
		if c != store.Committed {
			t.Errorf("CommitSuccess(%s) beside a bad write = %v; want committed", ids[i], c)
		}
	}
}

// TestAnswersInOrder: writes to one token in one batch see each other, in
// the order they were queued.
func TestAnswersInOrder(t *testing.T) {
	s, _ := openTemp(t)
	addToken(t, s, "tok")
	var oks [3]store.Commit
	commit := func(i int, next int64) func() error {
		return func() error {
			var err error
			oks[i], err = s.CommitSuccess(context.Background(), store.Success{TokenID: "tok", Next: next, Now: time.Now()})
			return err
		}
	}
	// Queued one at a time, so their order is known.
	started, release := make(chan struct{}), make(chan struct{})
	go s.c.do(context.Background(), &op{alone: true, run: func(*writer) error {
		close(started)
		<-release
		return nil
	}})
	<-started
	var wg sync.WaitGroup
	for i, next := range []int64{5, 5, 6} {
		wg.Go(func() { commit(i, next)() })
		for len(s.c.ops) < i+1 {
			runtime.Gosched()
		}
	}
	close(release)
	wg.Wait()
	if oks != [3]store.Commit{store.Committed, store.Replayed, store.Committed} {
		t.Errorf("CommitSuccess(5), (5), (6) in one batch = %v; want [committed replayed committed]", oks)
	}
}
