package storetest

import (
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// limit is the suite's login limit: the third failure within a minute
// locks for five.
var limit = store.LoginLimit{MaxFailures: 3, Remember: time.Minute, LockFor: 5 * time.Minute}

func recordLogin(t *testing.T, s store.Store, subject string, now time.Time, l store.LoginLimit) store.Failure {
	t.Helper()
	f, err := s.RecordLoginFailure(ctx(t), subject, now, l, nil)
	if err != nil {
		t.Fatalf("RecordLoginFailure(%q) = %v", subject, err)
	}
	return f
}

func loginFailure(t *testing.T, s store.Store, subject string, now time.Time) store.Failure {
	t.Helper()
	f, err := s.LoginFailure(ctx(t), subject, now)
	if err != nil {
		t.Fatalf("LoginFailure(%q) = %v", subject, err)
	}
	return f
}

// testLoginFailures: failures count up to the limit, which locks for
// LockFor, and each one while locked restarts the lock; a count not
// added to for Remember is forgotten; subjects are apart.
func testLoginFailures(t *testing.T, s store.Store) {
	if f := loginFailure(t, s, "client:192.0.2.1", t0); f != (store.Failure{}) {
		t.Fatalf("LoginFailure(unknown) = %+v; want zero", f)
	}
	now := t0
	for i := 1; i < limit.MaxFailures; i++ {
		if f := recordLogin(t, s, "client:192.0.2.1", now, limit); f.Failures != i || !f.LockedUntil.IsZero() {
			t.Fatalf("failure %d = %+v; want count %d, not locked", i, f, i)
		}
		now = now.Add(50 * time.Second) // within Remember of the last one
	}
	f := recordLogin(t, s, "client:192.0.2.1", now, limit)
	if want := now.Add(limit.LockFor); f.Failures != limit.MaxFailures || !f.LockedUntil.Equal(want) {
		t.Fatalf("failure at the limit = %+v; want locked until %v", f, want)
	}
	if got := loginFailure(t, s, "client:192.0.2.1", now); got != f {
		t.Errorf("LoginFailure = %+v; want what RecordLoginFailure returned, %+v", got, f)
	}
	if got := loginFailure(t, s, "client:192.0.2.2", now); got != (store.Failure{}) {
		t.Errorf("LoginFailure(another subject) = %+v; want zero", got)
	}
	later := now.Add(4 * time.Minute) // still locked, past Remember
	if f := recordLogin(t, s, "client:192.0.2.1", later, limit); !f.LockedUntil.Equal(later.Add(limit.LockFor)) {
		t.Errorf("failure while locked = %+v; want the lock restarted", f)
	}
	end := later.Add(limit.LockFor)
	if got := loginFailure(t, s, "client:192.0.2.1", end); got != (store.Failure{}) {
		t.Errorf("LoginFailure after the lock and Remember = %+v; want zero", got)
	}
	if f := recordLogin(t, s, "client:192.0.2.1", end, limit); f.Failures != 1 || !f.LockedUntil.IsZero() {
		t.Errorf("failure after the row expired = %+v; want a new count of 1", f)
	}
}

// testLoginFailuresLockAtFirst: MaxFailures 0 and 1 lock at the first
// failure, of a new subject and of a forgotten one alike.
func testLoginFailuresLockAtFirst(t *testing.T, s store.Store) {
	l := store.LoginLimit{MaxFailures: 0, Remember: time.Second, LockFor: time.Hour}
	for i, now := range []time.Time{t0, t0.Add(2 * time.Hour), t0.Add(4 * time.Hour)} {
		l.MaxFailures = min(i, 1)
		if f := recordLogin(t, s, "user:mallory", now, l); f.Failures != 1 || !f.LockedUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("first failure at %v = %+v; want locked for an hour", now, f)
		}
		if got := loginFailure(t, s, "user:mallory", now.Add(time.Minute)); !got.LockedUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("LoginFailure a minute later = %+v; want still locked (the lock outlives Remember)", got)
		}
	}
	if _, err := s.RecordLoginFailure(ctx(t), "user:x", t0, store.LoginLimit{MaxFailures: 1}, nil); err == nil {
		t.Error("RecordLoginFailure with Remember and LockFor 0 = nil error")
	}
}

// testLoginFailuresAudit: the event given is appended with the failure.
func testLoginFailuresAudit(t *testing.T, s store.Store) {
	e := store.AuditEvent{Time: t0, Actor: "radius", Action: "verify", User: "nobody", Result: "fail", Reason: "no token", Source: "192.0.2.9"}
	if _, err := s.RecordLoginFailure(ctx(t), "user:nobody", t0, limit, &e); err != nil {
		t.Fatalf("RecordLoginFailure = %v", err)
	}
	recordLogin(t, s, "client:192.0.2.9", t0, limit)
	es, err := s.Audit(ctx(t), store.AuditFilter{})
	if err != nil || len(es) != 1 {
		t.Fatalf("Audit = %+v, %v; want the one event given", es, err)
	}
	if e.Seq = es[0].Seq; e.Seq <= 0 || es[0] != e {
		t.Errorf("Audit = %+v; want the one event given, with a Seq", es[0])
	}
}

// testLoginFailuresClearPurge: Clear forgets one subject; Purge deletes the
// expired ones and only those.
func testLoginFailuresClearPurge(t *testing.T, s store.Store) {
	recordLogin(t, s, "user:a", t0, limit)
	recordLogin(t, s, "user:b", t0, limit)
	l := limit
	l.MaxFailures = 0
	recordLogin(t, s, "user:c", t0, l) // locked: remembered for LockFor
	if err := s.ClearLoginFailure(ctx(t), "user:a"); err != nil {
		t.Fatalf("ClearLoginFailure = %v", err)
	}
	if err := s.ClearLoginFailure(ctx(t), "user:none"); err != nil {
		t.Errorf("ClearLoginFailure(unknown) = %v; want nil", err)
	}
	if f := recordLogin(t, s, "user:a", t0, limit); f.Failures != 1 {
		t.Errorf("failure after Clear = %+v; want count 1", f)
	}
	n, err := s.PurgeLoginFailures(ctx(t), t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PurgeLoginFailures = %d, %v; want 2 (a and b, not the locked c)", n, err)
	}
	if f := loginFailure(t, s, "user:c", t0.Add(2*time.Minute)); f.Failures != 1 {
		t.Errorf("locked subject after Purge = %+v; want kept", f)
	}
}

// testLoginFailuresRace: concurrent failures of one subject each count
// once, and exactly the ones past the limit report a lock.
func testLoginFailuresRace(t *testing.T, s store.Store) {
	l := store.LoginLimit{MaxFailures: 10, Remember: time.Hour, LockFor: time.Hour}
	var (
		mu   sync.Mutex
		seen = map[int]bool{}
	)
	race(func(int) {
		f, err := s.RecordLoginFailure(ctx(t), "client:198.51.100.7", t0, l, nil)
		if err != nil {
			t.Errorf("RecordLoginFailure = %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[f.Failures] {
			t.Errorf("two concurrent RecordLoginFailure calls both returned Failures = %d", f.Failures)
		}
		seen[f.Failures] = true
		if locked := !f.LockedUntil.IsZero(); locked != (f.Failures >= 10) {
			t.Errorf("RecordLoginFailure returned Failures %d with LockedUntil %v; want locked from the 10th", f.Failures, f.LockedUntil)
		}
	})
	if f := loginFailure(t, s, "client:198.51.100.7", t0); f.Failures != racers {
		t.Errorf("Failures after %d concurrent RecordLoginFailure = %d", racers, f.Failures)
	}
}
