package storetest

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func testAudit(t *testing.T, s store.Store) {
	events := []store.AuditEvent{
		{Time: t0, Actor: store.ActorAdmin, Action: store.ActionEnroll, User: "alice", TokenID: "a1", Result: store.ResultOK, Source: "tty"},
		{Time: t0.Add(time.Second), Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: "a1",
			Result: store.ResultFail, Reason: "wrong code", Source: "192.0.2.1"},
		{Time: t0.Add(2 * time.Second), Actor: store.ActorOpenVPN, Action: store.ActionVerify, User: "bob", TokenID: "b1",
			Result: store.ResultReplay, Reason: "counter used", Source: "198.51.100.7"},
		{Time: t0.Add(3 * time.Second), Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: "a1",
			Result: store.ResultLocked, Reason: "3 failures", Source: "192.0.2.1"},
	}
	// Appended out of time order: Audit orders by Time.
	for _, i := range []int{2, 0, 3, 1} {
		if err := s.AppendAudit(ctx(t), events[i]); err != nil {
			t.Fatalf("AppendAudit = %v", err)
		}
	}
	for _, tt := range []struct {
		f    store.AuditFilter
		want []int // indexes into events, newest first
	}{
		{store.AuditFilter{}, []int{3, 2, 1, 0}},
		{store.AuditFilter{User: "alice"}, []int{3, 1, 0}},
		{store.AuditFilter{User: "carol"}, nil},
		{store.AuditFilter{Since: t0.Add(time.Second)}, []int{3, 2, 1}},
		{store.AuditFilter{Limit: 2}, []int{3, 2}},
		{store.AuditFilter{User: "alice", Since: t0.Add(time.Second), Limit: 1}, []int{3}},
		{store.AuditFilter{Before: t0.Add(3 * time.Second)}, []int{2, 1, 0}},
		{store.AuditFilter{Before: t0.Add(2 * time.Second), Limit: 1}, []int{1}},
		{store.AuditFilter{User: "alice", Since: t0.Add(time.Second), Before: t0.Add(3 * time.Second)}, []int{1}},
	} {
		got, err := s.Audit(ctx(t), tt.f)
		if err != nil {
			t.Errorf("Audit(%+v) = %v", tt.f, err)
			continue
		}
		var want []store.AuditEvent
		for _, i := range tt.want {
			want = append(want, events[i])
		}
		if !slices.EqualFunc(got, want, equalEvent) {
			t.Errorf("Audit(%+v) = %+v; want %+v", tt.f, got, want)
		}
	}

	before := time.Now()
	if err := s.AppendAudit(ctx(t), store.AuditEvent{Actor: store.ActorAdmin, Action: store.ActionUnlock}); err != nil {
		t.Fatalf("AppendAudit(zero Time) = %v", err)
	}
	got, err := s.Audit(ctx(t), store.AuditFilter{Limit: 1})
	if err != nil || len(got) != 1 || got[0].Action != "unlock" || got[0].Time.Before(before.Add(-time.Minute)) {
		t.Errorf("Audit after AppendAudit with zero Time = %+v, %v; want it first, stamped about now", got, err)
	}
}

// equalEvent compares events but their Seq, which the store sets.
func equalEvent(a, b store.AuditEvent) bool {
	a.Time, b.Time = a.Time.UTC(), b.Time.UTC()
	a.Seq, b.Seq = 0, 0
	return a == b
}

// testAuditAfter: AuditAfter walks the trail in the order it was appended,
// and numbers keep growing after the trail was pruned empty.
func testAuditAfter(t *testing.T, s store.Store) {
	if es, last, err := s.AuditAfter(ctx(t), 0, 10); len(es) != 0 || last != 0 || err != nil {
		t.Errorf("AuditAfter on an empty trail = %v, %d, %v; want none, 0", es, last, err)
	}
	var events []store.AuditEvent
	for i := range 5 {
		e := store.AuditEvent{Time: t0.Add(-time.Duration(i) * time.Second), Actor: store.ActorAdmin,
			Action: store.ActionEnroll, User: "u" + strconv.Itoa(i), Result: store.ResultOK}
		if err := s.AppendAudit(ctx(t), e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	all, last, err := s.AuditAfter(ctx(t), 0, 10)
	if err != nil || !slices.EqualFunc(all, events, equalEvent) || last != all[len(all)-1].Seq {
		t.Fatalf("AuditAfter(0) = %+v, %d, %v; want the events in the order appended, and the last Seq", all, last, err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Errorf("Seq %d after %d; want growing", all[i].Seq, all[i-1].Seq)
		}
	}
	if got, _, err := s.AuditAfter(ctx(t), all[1].Seq, 2); err != nil || !slices.EqualFunc(got, events[2:4], equalEvent) {
		t.Errorf("AuditAfter(Seq of the 2nd, limit 2) = %+v, %v; want the 3rd and 4th", got, err)
	}
	if got, l, err := s.AuditAfter(ctx(t), last, 10); len(got) != 0 || l != last || err != nil {
		t.Errorf("AuditAfter(last) = %+v, %d, %v; want none, %d", got, l, err, last)
	}
	if n, err := s.PruneAudit(ctx(t), t0.Add(time.Hour)); n != len(events) || err != nil {
		t.Errorf("PruneAudit(after every event) = %d, %v; want %d", n, err, len(events))
	}
	if err := s.AppendAudit(ctx(t), events[0]); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.AuditAfter(ctx(t), last, 10); err != nil || len(got) != 1 || got[0].Seq <= last {
		t.Errorf("AuditAfter(%d) after pruning and appending = %+v, %v; want the new event, numbered after", last, got, err)
	}
}

// testPruneAudit: PruneAudit deletes exactly the events logged before its
// time, across several batches, and nothing else.
func testPruneAudit(t *testing.T, s store.Store) {
	const n = 2*store.PruneBatch + 7
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make(chan error, 1)
	)
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				e := store.AuditEvent{Time: at(i), Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "u" + strconv.Itoa(i%50), Result: store.ResultOK}
				if err := s.AppendAudit(ctx(t), e); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("AppendAudit = %v", err)
	default:
	}

	if got, err := s.PruneAudit(ctx(t), t0); got != 0 || err != nil {
		t.Errorf("PruneAudit(before the first event) = %d, %v; want 0", got, err)
	}
	keep := n - 2*store.PruneBatch - 3 // the newest events, from index n-keep on
	if got, err := s.PruneAudit(ctx(t), at(n-keep)); got != n-keep || err != nil {
		t.Errorf("PruneAudit = %d, %v; want %d (several batches)", got, err, n-keep)
	}
	left, err := s.Audit(ctx(t), store.AuditFilter{})
	if err != nil || len(left) != keep || !left[keep-1].Time.Equal(at(n-keep)) || !left[0].Time.Equal(at(n-1)) {
		t.Fatalf("Audit after PruneAudit = %d events (%v); want the newest %d, from %v", len(left), err, keep, at(n-keep))
	}
	if got, err := s.PruneAudit(ctx(t), at(n-keep)); got != 0 || err != nil {
		t.Errorf("PruneAudit again = %d, %v; want 0", got, err)
	}
}
