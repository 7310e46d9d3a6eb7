package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

var t1 = time.Unix(1_700_000_000, 0).UTC()

func event(tokenID, result string) store.AuditEvent {
	return store.AuditEvent{Time: t1, Actor: "test", Action: "verify", User: "user-" + tokenID, TokenID: tokenID, Result: result}
}

// audited returns the audit events of token id, oldest first.
func audited(t *testing.T, s *Store, id string) []store.AuditEvent {
	t.Helper()
	evs, err := s.Audit(context.Background(), store.AuditFilter{User: "user-" + id})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

func TestCommitSuccessAudit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	addToken(t, s, "tok")
	if _, err := s.RecordFailure(ctx, "tok", t1, 10, store.Forever); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		next   int64
		wantOK bool
	}{{5, true}, {5, false}, {3, false}, {6, true}}
	var want []store.AuditEvent
	for _, tt := range tests {
		ev := event("tok", "ok")
		ev.Reason = fmt.Sprintf("next %d", tt.next)
		ok, err := s.CommitSuccessAudit(ctx, "tok", tt.next, 7, t1, ev)
		if ok != tt.wantOK || err != nil {
			t.Errorf("CommitSuccessAudit(next %d) = %v, %v; want %v, nil", tt.next, ok, err, tt.wantOK)
		}
		if ok {
			want = append(want, ev)
		}
	}
	tok, err := s.Token(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Next != 6 || tok.Drift != 7 || tok.Failures != 0 || !tok.LastSuccess.Equal(t1) || !tok.LastCheck.Equal(t1) {
		t.Errorf("token after CommitSuccessAudit = Next %d, Drift %d, Failures %d, LastSuccess %v, LastCheck %v; want 6, 7, 0, %v, %v",
			tok.Next, tok.Drift, tok.Failures, tok.LastSuccess, tok.LastCheck, t1, t1)
	}
	if got := audited(t, s, "tok"); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("audit after CommitSuccessAudit = %+v; want only the successes %+v", got, want)
	}
	ok, err := s.CommitSuccessAudit(ctx, "missing", 1, 0, t1, event("missing", "ok"))
	if ok || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CommitSuccessAudit(unknown token) = %v, %v; want false, ErrNotFound", ok, err)
	}
	if got := audited(t, s, "missing"); len(got) != 0 {
		t.Errorf("audit after CommitSuccessAudit(unknown token) = %+v; want none", got)
	}
}

func TestRecordFailureAudit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	addToken(t, s, "tok")
	lock := t1.Add(time.Hour)
	for i, want := range []store.Failure{{Failures: 1}, {Failures: 2, LockedUntil: lock}} {
		f, err := s.RecordFailureAudit(ctx, "tok", t1, 1, lock, func(f store.Failure) store.AuditEvent {
			ev := event("tok", "fail")
			if !f.LockedUntil.IsZero() {
				ev.Reason = "now locked"
			}
			return ev
		})
		if err != nil || f.Failures != want.Failures || !f.LockedUntil.Equal(want.LockedUntil) {
			t.Errorf("RecordFailureAudit #%d = %+v, %v; want %+v", i+1, f, err, want)
		}
	}
	got := audited(t, s, "tok")
	if len(got) != 2 || got[0].Reason != "" || got[1].Reason != "now locked" {
		t.Errorf("audit after two RecordFailureAudit = %+v; want a failure, then one that locked", got)
	}
	_, err := s.RecordFailureAudit(ctx, "missing", t1, 1, lock, func(store.Failure) store.AuditEvent {
		t.Error("RecordFailureAudit(unknown token) asked for the event")
		return event("missing", "fail")
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordFailureAudit(unknown token) = %v; want ErrNotFound", err)
	}
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
	if ok, err := s.CommitSuccessAudit(ctx, "tok", 5, 0, t1, event("tok", "ok")); ok || err == nil {
		t.Errorf("CommitSuccessAudit with the audit refused = %v, %v; want false and an error", ok, err)
	}
	_, err := s.RecordFailureAudit(ctx, "tok", t1, 5, store.Forever, func(store.Failure) store.AuditEvent { return event("tok", "fail") })
	if err == nil {
		t.Errorf("RecordFailureAudit with the audit refused = nil error; want one")
	}
	tok, err := s.Token(ctx, "tok")
	if err != nil || tok.Next != 0 || tok.Failures != 0 {
		t.Errorf("token after refused events = Next %d, Failures %d, %v; want 0, 0", tok.Next, tok.Failures, err)
	}
	// The store goes on: a write without an event still commits.
	if ok, err := s.CommitSuccess(ctx, "tok", 5, 0, t1); !ok || err != nil {
		t.Errorf("CommitSuccess after refused events = %v, %v; want true", ok, err)
	}
}

// TestCommitSuccessAuditOnce: of 64 goroutines committing the same counter,
// exactly one succeeds, and exactly one event is written.
func TestCommitSuccessAuditOnce(t *testing.T) {
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
				ok, err := s.CommitSuccessAudit(context.Background(), "tok", round+1, 0, t1, event("tok", "ok"))
				if err != nil {
					t.Errorf("CommitSuccessAudit: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d of 64 CommitSuccessAudit of one counter succeeded; want 1", round, n)
		}
		if n := len(audited(t, s, "tok")); n != int(round)+1 {
			t.Errorf("round %d: %d audit events; want %d", round, n, round+1)
		}
	}
}
