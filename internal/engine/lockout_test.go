package engine_test

import (
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/store"
)

// public is what a caller may act on: a refusal must look the same whatever
// its reason.
func public(r engine.Result) engine.Result { r.Reason = ""; return r }

func TestLockout(t *testing.T) {
	tests := []struct {
		maxFailures int
		lockFor     time.Duration
	}{
		{0, 0},
		{0, 10 * time.Minute},
		{3, 0},
		{5, 15 * time.Minute},
	}
	for _, tt := range tests {
		pol := engine.DefaultPolicy()
		pol.MaxFailures, pol.LockFor = tt.maxFailures, tt.lockFor
		f := newFixture(t, pol)
		tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
		lockAt := max(tt.maxFailures, 1) // the failure that locks
		wrong := f.verify("alice", "000000")
		for i := 1; i < lockAt; i++ {
			if f.locked(tok.ID) {
				t.Fatalf("max %d: locked after %d failures; want the %dth to lock", tt.maxFailures, i, lockAt)
			}
			f.verify("alice", "000000")
		}
		got := f.token(tok.ID)
		want := store.Forever
		if tt.lockFor != 0 {
			want = f.clock.Now().Add(tt.lockFor)
		}
		if !got.LockedUntil.Equal(want) || got.Failures != lockAt {
			t.Fatalf("max %d, lock %v: after %d failures token = {Failures %d, LockedUntil %v}; want LockedUntil %v",
				tt.maxFailures, tt.lockFor, lockAt, got.Failures, got.LockedUntil, want)
		}
		// A locked token refuses its right code exactly like a wrong code.
		res := f.verify("alice", hotp(0, 6))
		if public(res) != public(wrong) || res.Reason != engine.ReasonLocked {
			t.Errorf("max %d: Verify(right code) on a locked token = %+v; want %+v with reason %q", tt.maxFailures, res, wrong, engine.ReasonLocked)
		}
		if n := f.token(tok.ID).Failures; n != lockAt+1 {
			t.Errorf("max %d: attempt on a locked token not counted: Failures = %d; want %d", tt.maxFailures, n, lockAt+1)
		}
		if tt.lockFor != 0 {
			checkExpiry(t, f, tok.ID, tt.lockFor)
		} else {
			checkForever(t, f, tok.ID)
		}
	}
}

// checkExpiry: an attempt while locked restarts the lock; the lock ends at
// LockedUntil; one more failure locks again; a success clears the count.
func checkExpiry(t *testing.T, f *fixture, id string, lockFor time.Duration) {
	t.Helper()
	f.clock.Add(lockFor - time.Second)
	if res := f.verify("alice", hotp(0, 6)); res.OK || res.Reason != engine.ReasonLocked {
		t.Errorf("Verify a second before the lock ends = %+v; want refused, locked", res)
	}
	if got, want := f.token(id).LockedUntil, f.clock.Now().Add(lockFor); !got.Equal(want) {
		t.Errorf("LockedUntil after an attempt while locked = %v; want %v (restarted)", got, want)
	}
	f.clock.Add(lockFor)
	if res := f.verify("alice", "000000"); res.OK || res.Reason != engine.ReasonWrongCode+", "+engine.ReasonNowLocked {
		t.Errorf("Verify(wrong) after the lock ended = %+v; want refused, %q", res, engine.ReasonNowLocked)
	}
	f.clock.Add(lockFor)
	if res := f.verify("alice", hotp(0, 6)); !res.OK {
		t.Errorf("Verify(right code) after the second lock ended = %+v; want OK", res)
	}
	if tok := f.token(id); tok.Failures != 0 {
		t.Errorf("after a success, Failures = %d; want 0", tok.Failures)
	}
}

// checkForever: a lock without a duration lasts until Unlock.
func checkForever(t *testing.T, f *fixture, id string) {
	t.Helper()
	f.clock.Add(10 * 365 * 24 * time.Hour)
	if res := f.verify("alice", hotp(0, 6)); res.OK || res.Reason != engine.ReasonLocked {
		t.Errorf("Verify ten years later = %+v; want refused, locked", res)
	}
	if err := f.eng.Unlock(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if res := f.verify("alice", hotp(0, 6)); !res.OK {
		t.Errorf("Verify(right code) after Unlock = %+v; want OK", res)
	}
}

// TestLockoutBoundary: with max_failures = 5 a right code is accepted after
// 4 wrong ones, and refused after 5 (issue 14, item 12).
func TestLockoutBoundary(t *testing.T) {
	for _, wrong := range []int{4, 5} {
		f := newFixture(t, engine.DefaultPolicy())
		f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
		for range wrong {
			f.verify("alice", "000000")
		}
		if res, want := f.verify("alice", hotp(0, 6)), wrong < 5; res.OK != want {
			t.Errorf("Verify(right code) after %d wrong ones with MaxFailures 5 = %+v; want OK %v", wrong, res, want)
		}
	}
}

func TestUnlockUnknownToken(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	if err := f.eng.Unlock(f.ctx, "nope"); !isNotFound(err) {
		t.Errorf("Unlock(unknown) = %v; want ErrNotFound", err)
	}
}

func TestReplayCountsAsFailure(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 2
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	f.verify("alice", hotp(0, 6))
	f.verify("alice", hotp(0, 6))
	if f.locked(tok.ID) {
		t.Errorf("after one replay with MaxFailures 2: token locked")
	}
	f.verify("alice", hotp(0, 6))
	if !f.locked(tok.ID) {
		t.Errorf("after two replays with MaxFailures 2: token not locked")
	}
}

func TestDisabledToken(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	f.setEnabled(tok.ID, false)
	if res := f.verify("alice", hotp(0, 6)); res.OK || res.Reason != engine.ReasonDisabled {
		t.Errorf("Verify on a disabled token = %+v; want refused, %q", res, engine.ReasonDisabled)
	}
	if got := f.token(tok.ID); got.Failures != 0 || got.Next != 0 {
		t.Errorf("disabled token was tried: Failures %d, Next %d", got.Failures, got.Next)
	}
	f.setEnabled(tok.ID, true)
	if res := f.verify("alice", hotp(0, 6)); !res.OK {
		t.Errorf("Verify after enabling = %+v; want OK", res)
	}
}

func TestUnknownUser(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	wrong := f.verify("alice", "000000")
	res := f.verify("mallory", hotp(0, 6))
	if res.OK || res.Reason != engine.ReasonNoToken || public(res) != (engine.Result{User: "mallory"}) {
		t.Errorf("Verify(unknown user) = %+v; want refused", res)
	}
	if public(wrong) != (engine.Result{User: "alice"}) {
		t.Errorf("Verify(wrong code) = %+v", wrong)
	}
}

func TestTooLong(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	if res := f.verify("alice", strings.Repeat("1", engine.MaxCodeLen+1)); res.OK || res.Reason != engine.ReasonTooLong {
		t.Errorf("Verify(long code) = %+v; want refused, too long", res)
	}
}

func TestPolicyValidate(t *testing.T) {
	bad := []func(*engine.Policy){
		func(p *engine.Policy) { p.HOTPWindow = 0 },
		func(p *engine.Policy) { p.HOTPWindow = engine.MaxHOTPWindow + 1 },
		func(p *engine.Policy) { p.TOTPBack = -1 },
		func(p *engine.Policy) { p.TOTPForward = engine.MaxTOTPWindow + 1 },
		func(p *engine.Policy) { p.MaxFailures = -1 },
		func(p *engine.Policy) { p.LockFor = -time.Second },
		func(p *engine.Policy) { p.ResyncWindow = 0 },
	}
	for i, mutate := range bad {
		p := engine.DefaultPolicy()
		mutate(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: Validate(%+v) = nil; want an error", i, p)
		}
	}
	if err := engine.DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
	var zero engine.Policy
	if err := zero.Validate(); err == nil {
		t.Errorf("Policy{}.Validate() = nil; want an error (window 0)")
	}
}
