package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

var t1 = time.Unix(1_700_000_000, 0).UTC()

func event(tokenID string, result store.Result) store.AuditEvent {
	return store.AuditEvent{Time: t1, Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "user-" + tokenID, TokenID: tokenID, Result: result}
}

func success(id string, next int64) store.Success {
	return store.Success{TokenID: id, Next: next, Now: t1, Event: event(id, store.ResultOK)}
}

func attempt(id string) store.Attempt {
	return store.Attempt{TokenID: id, Now: t1, MaxFailures: 5, LockUntil: store.Forever,
		Event: func(store.Failure) store.AuditEvent { return event(id, store.ResultFail) }}
}

// audited returns the audit events of token id.
func audited(t *testing.T, s *Store, id string) []store.AuditEvent {
	t.Helper()
	evs, err := s.Audit(context.Background(), store.AuditFilter{User: "user-" + id})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// refuseAudit makes every audit insert of the write connection fail, as a
// full disk or a broken audit table would.
func refuseAudit(t *testing.T, s *Store) {
	t.Helper()
	err := s.c.do(context.Background(), &op{run: func(w *writer) error {
		_, err := w.conn.ExecContext(context.Background(),
			`CREATE TEMP TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoOutcomeWithoutItsEvent: when the audit event cannot be written, the
// success or failure it records is not written either.
func TestNoOutcomeWithoutItsEvent(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	addToken(t, s, "tok")
	refuseAudit(t, s)
	if c, err := s.CommitSuccess(ctx, success("tok", 5)); c == store.Committed || err == nil {
		t.Errorf("CommitSuccess with the audit refused = %v, %v; want an error", c, err)
	}
	if _, err := s.RecordFailure(ctx, attempt("tok")); err == nil {
		t.Errorf("RecordFailure with the audit refused = nil error; want one")
	}
	tok, err := s.Token(ctx, "tok")
	if err != nil || tok.Next != 0 || tok.Failures != 0 {
		t.Errorf("token after refused events = Next %d, Failures %d, %v; want 0, 0", tok.Next, tok.Failures, err)
	}
	// The store goes on: a write without an event still commits.
	if err := s.Unlock(ctx, "tok"); err != nil {
		t.Errorf("Unlock after refused events = %v", err)
	}
}

// TestCommitSuccessEventOnce: of 64 goroutines committing the same counter,
// exactly one succeeds, and exactly one event is written, though they share
// group commits.
func TestCommitSuccessEventOnce(t *testing.T) {
	s, _ := openTemp(t)
	addToken(t, s, "tok")
	for round := range int64(5) {
		var (
			wins atomic.Int32
			wg   sync.WaitGroup
		)
		start := make(chan struct{})
		for range 64 {
			wg.Go(func() {
				<-start
				c, err := s.CommitSuccess(context.Background(), success("tok", round+1))
				if err != nil {
					t.Errorf("CommitSuccess: %v", err)
				}
				if c == store.Committed {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d of 64 CommitSuccess of one counter committed; want 1", round, n)
		}
		if n := len(audited(t, s, "tok")); n != int(round)+1 {
			t.Errorf("round %d: %d audit events; want %d", round, n, round+1)
		}
	}
}
