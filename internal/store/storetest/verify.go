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

func testCommitSuccess(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	tok := newToken("x", "alice") // Next 1000
	mustToken(t, s, tok)
	if _, err := s.RecordFailure(ctx(t), "x", t0, 5, store.Forever); err != nil {
		t.Fatalf("RecordFailure = %v", err)
	}

	now := t0.Add(time.Minute)
	if ok, err := s.CommitSuccess(ctx(t), "x", 1005, 4, now); !ok || err != nil {
		t.Fatalf("CommitSuccess(1005) = %v, %v; want true", ok, err)
	}
	want := *tok
	want.Next, want.Drift, want.Failures, want.LastCheck, want.LastSuccess = 1005, 4, 0, now, now
	if err := diffToken(getToken(t, s, "x"), want); err != nil {
		t.Errorf("Token after CommitSuccess(1005):\n%v", err)
	}

	for _, next := range []int64{1005, 1004, 1, 0, -1} {
		ok, err := s.CommitSuccess(ctx(t), "x", next, 9, now.Add(time.Hour))
		if ok || err != nil {
			t.Errorf("CommitSuccess(%d) after 1005 = %v, %v; want false (replay)", next, ok, err)
		}
	}
	if err := diffToken(getToken(t, s, "x"), want); err != nil {
		t.Errorf("Token changed by refused commits:\n%v", err)
	}
	if ok, err := s.CommitSuccess(ctx(t), "x", 1006, 0, now); !ok || err != nil {
		t.Errorf("CommitSuccess(1006) = %v, %v; want true", ok, err)
	}
	_, err := s.CommitSuccess(ctx(t), "nobody", 1, 0, now)
	wantErr(t, "CommitSuccess(unknown token)", err, store.ErrNotFound)
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
			ok, err := s.CommitSuccess(ctx(t), "x", next, 0, t0)
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
			t.Errorf("round %d: %d of %d concurrent CommitSuccess(%d) returned true; want exactly 1", round, wins, racers, next)
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
		ok, err := s.CommitSuccess(ctx(t), "x", next, 0, t0)
		if err != nil {
			t.Errorf("CommitSuccess(%d) = %v", next, err)
		}
		if ok {
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
		{max: 1, lockedAt: 2, until: lock},
		{max: 3, lockedAt: 4, until: store.Forever},
	} {
		id := "max" + string(rune('0'+tt.max))
		mustToken(t, s, newToken(id, "alice"))
		for n := 1; n <= tt.lockedAt+1; n++ {
			now := t0.Add(time.Duration(n) * time.Second)
			f, err := s.RecordFailure(ctx(t), id, now, tt.max, tt.until)
			want := store.Failure{Failures: n}
			if n >= tt.lockedAt {
				want.LockedUntil = tt.until
			}
			if err != nil || f.Failures != want.Failures || !f.LockedUntil.Equal(want.LockedUntil) {
				t.Errorf("RecordFailure #%d with maxFailures %d = %+v, %v; want %+v", n, tt.max, f, err, want)
			}
			got := getToken(t, s, id)
			if got.Failures != f.Failures || !got.LockedUntil.Equal(f.LockedUntil) || !got.LastCheck.Equal(now) {
				t.Errorf("Token after RecordFailure #%d: Failures %d, LockedUntil %v, LastCheck %v; want %+v, LastCheck %v",
					n, got.Failures, got.LockedUntil, got.LastCheck, f, now)
			}
		}
	}
	got := getToken(t, s, "max0")
	if !got.Locked(lock.Add(-time.Nanosecond)) || got.Locked(lock) {
		t.Errorf("Locked around LockedUntil %v: want locked just before, unlocked at it", got.LockedUntil)
	}
	if ok, err := s.CommitSuccess(ctx(t), "max3", 2000, 0, t0); !ok || err != nil {
		t.Fatalf("CommitSuccess = %v, %v", ok, err)
	}
	if got := getToken(t, s, "max3"); got.Failures != 0 {
		t.Errorf("Failures after CommitSuccess = %d; want 0", got.Failures)
	}
	_, err := s.RecordFailure(ctx(t), "nobody", t0, 3, lock)
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
		f, err := s.RecordFailure(ctx(t), "x", t0, 10, store.Forever)
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
		if locked := !f.LockedUntil.IsZero(); locked != (f.Failures > 10) {
			t.Errorf("RecordFailure returned Failures %d with LockedUntil %v; want locked iff > 10", f.Failures, f.LockedUntil)
		}
	})
	if got := getToken(t, s, "x"); got.Failures != racers {
		t.Errorf("Failures after %d concurrent RecordFailure = %d", racers, got.Failures)
	}
}

func testUnlock(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	if _, err := s.RecordFailure(ctx(t), "x", t0, 0, store.Forever); err != nil {
		t.Fatalf("RecordFailure = %v", err)
	}
	if locked := getToken(t, s, "x"); !locked.Locked(t0) {
		t.Fatalf("token not locked after a failure with maxFailures 0")
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
