package storetest

import (
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// racers is how many goroutines race in the concurrency tests, as issue 3
// asks.
const racers = 64

// race runs fn in racers goroutines released at once.
func race(fn func(i int)) {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// success is a Success of token id at now, with an event that names it.
func success(id string, next, drift int64, now time.Time) store.Success {
	return store.Success{TokenID: id, Next: next, Drift: drift, Now: now, Event: store.AuditEvent{
		Time: now, Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice", TokenID: id,
		Result: store.ResultOK, Reason: "next " + itoa(next)}}
}

// attempt is an Attempt on token id at now whose event records the count.
func attempt(id string, now time.Time, maxFailures int, lockUntil time.Time) store.Attempt {
	return store.Attempt{TokenID: id, Now: now, MaxFailures: maxFailures, LockUntil: lockUntil,
		Event: func(f store.Failure) store.AuditEvent {
			return store.AuditEvent{Time: now, Actor: store.ActorRADIUS, Action: store.ActionVerify, User: "alice",
				TokenID: id, Result: store.ResultFail, Reason: "failure " + itoa(int64(f.Failures))}
		}}
}

func commit(t *testing.T, s store.Store, sc store.Success) store.Commit {
	t.Helper()
	c, err := s.CommitSuccess(ctx(t), sc)
	if err != nil {
		t.Fatalf("CommitSuccess(%s, %d) = %v", sc.TokenID, sc.Next, err)
	}
	return c
}

func fail(t *testing.T, s store.Store, a store.Attempt) store.Failure {
	t.Helper()
	f, err := s.RecordFailure(ctx(t), a)
	if err != nil {
		t.Fatalf("RecordFailure(%s) = %v", a.TokenID, err)
	}
	return f
}

// reasons returns the Reason of every event of token id, oldest first.
func reasons(t *testing.T, s store.Store, id string) []string {
	t.Helper()
	es, _, err := s.AuditAfter(ctx(t), 0, 100000)
	if err != nil {
		t.Fatalf("AuditAfter = %v", err)
	}
	var rs []string
	for _, e := range es {
		if e.TokenID == id {
			rs = append(rs, e.Reason)
		}
	}
	return rs
}

func testCommitSuccess(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	tok := newToken("x", "alice") // Next 1000
	mustToken(t, s, tok)
	fail(t, s, attempt("x", t0, 5, store.Forever))

	now := t0.Add(time.Minute)
	if c := commit(t, s, success("x", 1005, 4, now)); c != store.Committed {
		t.Fatalf("CommitSuccess(1005) = %v; want Committed", c)
	}
	want := *tok
	want.Next, want.Drift, want.Failures, want.LastCheck, want.LastSuccess = 1005, 4, 0, now, now
	if err := diffToken(getToken(t, s, "x"), want); err != nil {
		t.Errorf("Token after CommitSuccess(1005):\n%v", err)
	}

	for _, next := range []int64{1005, 1004, 1, 0, -1} {
		if c := commit(t, s, success("x", next, 9, now.Add(time.Hour))); c != store.Replayed {
			t.Errorf("CommitSuccess(%d) after 1005 = %v; want Replayed", next, c)
		}
	}
	if err := diffToken(getToken(t, s, "x"), want); err != nil {
		t.Errorf("Token changed by refused commits:\n%v", err)
	}
	if c := commit(t, s, success("x", 1006, 0, now)); c != store.Committed {
		t.Errorf("CommitSuccess(1006) = %v; want Committed", c)
	}
	_, err := s.CommitSuccess(ctx(t), success("nobody", 1, 0, now))
	wantErr(t, "CommitSuccess(unknown token)", err, store.ErrNotFound)
	// Each outcome has its event, and a refused commit has none.
	if got, want := reasons(t, s, "x"), []string{"failure 1", "next 1005", "next 1006"}; !equalStrings(got, want) {
		t.Errorf("events of token x = %q; want %q", got, want)
	}
}

// testCommitSuccessLockedOrDisabled: a success commits only while its token
// is enabled and not locked at the success's time.
func testCommitSuccessLockedOrDisabled(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	until := t0.Add(15 * time.Minute)
	if f := fail(t, s, attempt("x", t0, 1, until)); !f.LockedUntil.Equal(until) {
		t.Fatalf("RecordFailure with MaxFailures 1 = %+v; want locked until %v", f, until)
	}
	for _, now := range []time.Time{t0, until.Add(-time.Nanosecond)} {
		if c := commit(t, s, success("x", 1001, 0, now)); c != store.Locked {
			t.Errorf("CommitSuccess at %v on a token locked until %v = %v; want Locked", now, until, c)
		}
	}
	if got := getToken(t, s, "x"); got.Next != 1000 || got.Failures != 1 {
		t.Errorf("a refused commit changed the token: Next %d, Failures %d", got.Next, got.Failures)
	}
	if c := commit(t, s, success("x", 1001, 0, until)); c != store.Committed {
		t.Errorf("CommitSuccess when the lock ends = %v; want Committed", c)
	}

	tok := getToken(t, s, "x")
	tok.Enabled = false
	if err := s.UpdateToken(ctx(t), &tok); err != nil {
		t.Fatal(err)
	}
	if c := commit(t, s, success("x", 1002, 0, until)); c != store.Disabled {
		t.Errorf("CommitSuccess on a disabled token = %v; want Disabled", c)
	}
	if got, want := reasons(t, s, "x"), []string{"failure 1", "next 1001"}; !equalStrings(got, want) {
		t.Errorf("events of token x = %q; want %q", got, want)
	}
}

// testLockoutRace: failures and one success of the same token race; the
// success commits only if fewer than MaxFailures failures committed before
// it, however the race goes (issue 12, item 1).
func testLockoutRace(t *testing.T, s store.Store) {
	const maxFailures = 5
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	for round := range int64(20) {
		if err := s.Unlock(ctx(t), "x"); err != nil {
			t.Fatal(err)
		}
		var c store.Commit
		race(func(i int) {
			if i == int(round)%racers {
				c = commit(t, s, success("x", 2000+round, 0, t0))
				return
			}
			fail(t, s, attempt("x", t0, maxFailures, store.Forever))
		})
		before := racers - 1 - getToken(t, s, "x").Failures
		if c == store.Committed && before >= maxFailures {
			t.Errorf("round %d: the success committed after %d failures; want it refused after %d", round, before, maxFailures)
		}
		if c != store.Committed && c != store.Locked {
			t.Errorf("round %d: CommitSuccess = %v; want Committed or Locked", round, c)
		}
	}
}

// testCommitSuccessRace: the same code submitted by 64 requests at once is
// accepted exactly once.
func testCommitSuccessRace(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	for round := range int64(5) {
		next := 2000 + round
		var (
			mu   sync.Mutex
			wins int
		)
		race(func(int) {
			c, err := s.CommitSuccess(ctx(t), success("x", next, 0, t0))
			if err != nil {
				t.Errorf("CommitSuccess(%d) = %v", next, err)
			}
			if c == store.Committed {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
		if wins != 1 {
			t.Errorf("round %d: %d of %d concurrent CommitSuccess(%d) committed; want exactly 1", round, wins, racers, next)
		}
	}
}

// testCommitSuccessMonotonic: under concurrent commits of different
// counters, Next ends at the highest, and a commit reported true is never
// followed by a true commit of a lower or equal counter.
func testCommitSuccessMonotonic(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	var (
		mu       sync.Mutex
		accepted = map[int64]int{}
	)
	race(func(i int) {
		next := 1001 + int64(i%16) // four racers per counter
		c, err := s.CommitSuccess(ctx(t), success("x", next, 0, t0))
		if err != nil {
			t.Errorf("CommitSuccess(%d) = %v", next, err)
		}
		if c == store.Committed {
			mu.Lock()
			accepted[next]++
			mu.Unlock()
		}
	})
	for next, n := range accepted {
		if n != 1 {
			t.Errorf("counter %d accepted %d times; want at most once", next-1, n)
		}
	}
	if _, ok := accepted[1016]; !ok {
		t.Errorf("the highest counter was never accepted: accepted %v", accepted)
	}
	if got := getToken(t, s, "x").Next; got != 1016 {
		t.Errorf("Next after concurrent commits = %d; want 1016", got)
	}
}

func testRecordFailure(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	lock := t0.Add(15 * time.Minute)
	for _, tt := range []struct {
		max      int
		lockedAt int // the failure that locks
		until    time.Time
	}{
		{max: 0, lockedAt: 1, until: lock},
		{max: 1, lockedAt: 1, until: lock},
		{max: 3, lockedAt: 3, until: store.Forever},
	} {
		id := "max" + itoa(int64(tt.max))
		mustToken(t, s, newToken(id, "alice"))
		for n := 1; n <= tt.lockedAt+1; n++ {
			now := t0.Add(time.Duration(n) * time.Second)
			f, err := s.RecordFailure(ctx(t), attempt(id, now, tt.max, tt.until))
			want := store.Failure{Failures: n}
			if n >= tt.lockedAt {
				want.LockedUntil = tt.until
			}
			if err != nil || f.Failures != want.Failures || !f.LockedUntil.Equal(want.LockedUntil) {
				t.Errorf("RecordFailure #%d with MaxFailures %d = %+v, %v; want %+v", n, tt.max, f, err, want)
			}
			got := getToken(t, s, id)
			if got.Failures != f.Failures || !got.LockedUntil.Equal(f.LockedUntil) || !got.LastCheck.Equal(now) {
				t.Errorf("Token after RecordFailure #%d: Failures %d, LockedUntil %v, LastCheck %v; want %+v, LastCheck %v",
					n, got.Failures, got.LockedUntil, got.LastCheck, f, now)
			}
		}
		want := []string{}
		for n := 1; n <= tt.lockedAt+1; n++ {
			want = append(want, "failure "+itoa(int64(n)))
		}
		if got := reasons(t, s, id); !equalStrings(got, want) {
			t.Errorf("events of token %s = %q; want %q", id, got, want)
		}
	}
	got := getToken(t, s, "max0")
	if !got.Locked(lock.Add(-time.Nanosecond)) || got.Locked(lock) {
		t.Errorf("Locked around LockedUntil %v: want locked just before, unlocked at it", got.LockedUntil)
	}
	if c := commit(t, s, success("max3", 2000, 0, t0)); c != store.Locked {
		t.Errorf("CommitSuccess on a token locked forever = %v; want Locked", c)
	}
	if err := s.Unlock(ctx(t), "max3"); err != nil {
		t.Fatal(err)
	}
	if c := commit(t, s, success("max3", 2000, 0, t0)); c != store.Committed {
		t.Fatalf("CommitSuccess after Unlock = %v; want Committed", c)
	}
	if got := getToken(t, s, "max3"); got.Failures != 0 {
		t.Errorf("Failures after CommitSuccess = %d; want 0", got.Failures)
	}
	_, err := s.RecordFailure(ctx(t), attempt("nobody", t0, 3, lock))
	wantErr(t, "RecordFailure(unknown token)", err, store.ErrNotFound)
}

// testRecordFailureRace: failures from many requests at once are all
// counted, so lockout holds against parallel guessing.
func testRecordFailureRace(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	var (
		mu   sync.Mutex
		seen = map[int]bool{}
	)
	race(func(int) {
		f, err := s.RecordFailure(ctx(t), attempt("x", t0, 10, store.Forever))
		if err != nil {
			t.Errorf("RecordFailure = %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[f.Failures] {
			t.Errorf("two concurrent RecordFailure calls both returned Failures = %d", f.Failures)
		}
		seen[f.Failures] = true
		if locked := !f.LockedUntil.IsZero(); locked != (f.Failures >= 10) {
			t.Errorf("RecordFailure returned Failures %d with LockedUntil %v; want locked from the 10th", f.Failures, f.LockedUntil)
		}
	})
	if got := getToken(t, s, "x"); got.Failures != racers {
		t.Errorf("Failures after %d concurrent RecordFailure = %d", racers, got.Failures)
	}
	if got := reasons(t, s, "x"); len(got) != racers {
		t.Errorf("%d events after %d concurrent RecordFailure; want one each", len(got), racers)
	}
}

func testUnlock(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	fail(t, s, attempt("x", t0, 0, store.Forever))
	if locked := getToken(t, s, "x"); !locked.Locked(t0) {
		t.Fatalf("token not locked after a failure with MaxFailures 0")
	}
	if err := s.Unlock(ctx(t), "x"); err != nil {
		t.Fatalf("Unlock = %v", err)
	}
	got := getToken(t, s, "x")
	if got.Failures != 0 || !got.LockedUntil.IsZero() || got.Locked(t0) {
		t.Errorf("after Unlock: Failures %d, LockedUntil %v; want 0 and zero", got.Failures, got.LockedUntil)
	}
	wantErr(t, "Unlock(unknown token)", s.Unlock(ctx(t), "nobody"), store.ErrNotFound)
}
