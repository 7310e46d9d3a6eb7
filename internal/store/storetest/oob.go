package storetest

import (
	"bytes"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// RunOOB runs the conformance tests of [store.OOBStore] against stores made
// by open, which must implement it.
func RunOOB(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store, store.OOBStore)
	}{
		{"PutOOBCode", testPutOOBCode},
		{"OOBCodeResend", testOOBCodeResend},
		{"TakeOOBCode", testTakeOOBCode},
		{"TakeOOBCodeRace", testTakeOOBCodeRace},
		{"OOBCodeGoesWithToken", testOOBCodeGoesWithToken},
		{"AdmitSend", testAdmitSend},
		{"AdmitSendAllOrNothing", testAdmitSendAllOrNothing},
		{"AdmitSendRace", testAdmitSendRace},
		{"AdmitSendRefusesBadLimits", testAdmitSendRefusesBadLimits},
		{"PurgeOOB", testPurgeOOB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			o, ok := s.(store.OOBStore)
			if !ok {
				t.Fatalf("%T does not implement store.OOBStore", s)
			}
			tt.fn(t, s, o)
		})
	}
}

// oobToken adds user alice with an email token "e1".
func oobToken(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	tok := newToken("e1", "alice")
	tok.Type = "email"
	mustToken(t, s, tok)
}

func newCode(mac string, sent time.Time) store.OOBCode {
	return store.OOBCode{TokenID: "e1", User: "alice", MAC: []byte(mac + "\x00\xff"), Sent: sent, Expires: sent.Add(15 * time.Minute)}
}

func getCode(t *testing.T, o store.OOBStore) store.OOBCode {
	t.Helper()
	c, err := o.OOBCode(ctx(t), "e1")
	if err != nil {
		t.Fatalf("OOBCode = %v", err)
	}
	return c
}

func sameCode(a, b store.OOBCode) bool {
	return a.TokenID == b.TokenID && a.User == b.User && bytes.Equal(a.MAC, b.MAC) &&
		a.Sent.Equal(b.Sent) && a.Expires.Equal(b.Expires)
}

func testPutOOBCode(t *testing.T, s store.Store, o store.OOBStore) {
	_, err := o.OOBCode(ctx(t), "e1")
	wantErr(t, "OOBCode(no code)", err, store.ErrNotFound)
	wantErr(t, "PutOOBCode(unknown token)", o.PutOOBCode(ctx(t), newCode("a", t0), t0), store.ErrNotFound)

	oobToken(t, s)
	c := newCode("a", t0)
	if err := o.PutOOBCode(ctx(t), c, t0.Add(-time.Minute)); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	if got := getCode(t, o); !sameCode(got, c) {
		t.Errorf("OOBCode = %+v; want %+v", got, c)
	}
}

// testOOBCodeResend: a new code replaces a pending one only once the resend
// interval has passed, or once the pending one has expired.
func testOOBCodeResend(t *testing.T, s store.Store, o store.OOBStore) {
	oobToken(t, s)
	first := newCode("a", t0)
	if err := o.PutOOBCode(ctx(t), first, t0); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	for _, tt := range []struct {
		name         string
		sent         time.Duration // after t0
		resendBefore time.Duration // after t0
		want         error
	}{
		{"within the interval", 30 * time.Second, -30 * time.Second, store.ErrTooSoon},
		{"a nanosecond early", 60 * time.Second, -time.Nanosecond, store.ErrTooSoon},
		{"after the interval", 60 * time.Second, 0, nil},
	} {
		next := newCode("b"+tt.name, t0.Add(tt.sent))
		err := o.PutOOBCode(ctx(t), next, t0.Add(tt.resendBefore))
		if !errors.Is(err, tt.want) {
			t.Errorf("PutOOBCode %s = %v; want %v", tt.name, err, tt.want)
		}
		want := first
		if tt.want == nil {
			want = next
		}
		if got := getCode(t, o); !sameCode(got, want) {
			t.Errorf("after PutOOBCode %s, OOBCode = %+v; want %+v", tt.name, got, want)
		}
	}
	// An expired code is replaced whatever the interval.
	late := newCode("c", t0.Add(time.Hour))
	if err := o.PutOOBCode(ctx(t), late, t0.Add(-time.Hour)); err != nil {
		t.Errorf("PutOOBCode after the code expired = %v; want nil", err)
	}
}

func testTakeOOBCode(t *testing.T, s store.Store, o store.OOBStore) {
	oobToken(t, s)
	c := newCode("a", t0)
	if err := o.PutOOBCode(ctx(t), c, t0); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	for _, tt := range []struct {
		name string
		mac  []byte
		at   time.Time
	}{
		{"another MAC", []byte("b\x00\xff"), t0},
		{"at its expiry", c.MAC, c.Expires},
		{"after its expiry", c.MAC, c.Expires.Add(time.Hour)},
		{"another token", nil, t0},
	} {
		id := "e1"
		if tt.mac == nil {
			id, tt.mac = "e2", c.MAC
		}
		if ok, err := o.TakeOOBCode(ctx(t), id, tt.mac, tt.at); ok || err != nil {
			t.Errorf("TakeOOBCode(%s) = %v, %v; want false", tt.name, ok, err)
		}
	}
	if ok, err := o.TakeOOBCode(ctx(t), "e1", c.MAC, c.Expires.Add(-time.Nanosecond)); !ok || err != nil {
		t.Errorf("TakeOOBCode(just before expiry) = %v, %v; want true", ok, err)
	}
	if ok, err := o.TakeOOBCode(ctx(t), "e1", c.MAC, t0); ok || err != nil {
		t.Errorf("TakeOOBCode again = %v, %v; want false: a code is accepted once", ok, err)
	}
	_, err := o.OOBCode(ctx(t), "e1")
	wantErr(t, "OOBCode after the take", err, store.ErrNotFound)
	// Taken, the code no longer holds up a resend.
	if err := o.PutOOBCode(ctx(t), newCode("b", t0.Add(time.Second)), t0.Add(-time.Hour)); err != nil {
		t.Errorf("PutOOBCode after the take = %v; want nil", err)
	}
}

// testTakeOOBCodeRace: a code submitted by many requests at once is accepted
// by exactly one.
func testTakeOOBCodeRace(t *testing.T, s store.Store, o store.OOBStore) {
	oobToken(t, s)
	for round := range 5 {
		c := newCode("r"+strconv.Itoa(round), t0.Add(time.Duration(round)*time.Hour))
		if err := o.PutOOBCode(ctx(t), c, c.Sent); err != nil {
			t.Fatalf("PutOOBCode = %v", err)
		}
		var wins atomic.Int32
		race(func(int) {
			if ok, err := o.TakeOOBCode(ctx(t), "e1", c.MAC, c.Sent); ok && err == nil {
				wins.Add(1)
			}
		})
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d of %d concurrent TakeOOBCode succeeded; want exactly 1", round, n, racers)
		}
	}
}

func testOOBCodeGoesWithToken(t *testing.T, s store.Store, o store.OOBStore) {
	oobToken(t, s)
	if err := o.PutOOBCode(ctx(t), newCode("a", t0), t0); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	if err := s.DeleteToken(ctx(t), "e1"); err != nil {
		t.Fatalf("DeleteToken = %v", err)
	}
	_, err := o.OOBCode(ctx(t), "e1")
	wantErr(t, "OOBCode after DeleteToken", err, store.ErrNotFound)

	tok := newToken("e1", "alice")
	mustToken(t, s, tok)
	if err := o.PutOOBCode(ctx(t), newCode("b", t0), t0); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	if err := s.DeleteUser(ctx(t), "alice"); err != nil {
		t.Fatalf("DeleteUser = %v", err)
	}
	_, err = o.OOBCode(ctx(t), "e1")
	wantErr(t, "OOBCode after DeleteUser", err, store.ErrNotFound)
}

func admit(t *testing.T, o store.OOBStore, at time.Time, limits ...store.SendLimit) bool {
	t.Helper()
	ok, err := o.AdmitSend(ctx(t), limits, time.Hour, at)
	if err != nil {
		t.Fatalf("AdmitSend = %v", err)
	}
	return ok
}

// testAdmitSend: at most Max sends in any window, which slides.
func testAdmitSend(t *testing.T, _ store.Store, o store.OOBStore) {
	alice := store.SendLimit{Subject: "user:alice", Max: 3}
	for i, tt := range []struct {
		at   time.Duration // after t0
		want bool
	}{
		{0, true}, {10 * time.Minute, true}, {20 * time.Minute, true},
		{30 * time.Minute, false}, {time.Hour - time.Nanosecond, false},
		{time.Hour, true}, // the send at t0 left the window
		{time.Hour + time.Minute, false},
		{time.Hour + 10*time.Minute, true},
		{3 * time.Hour, true}, {3 * time.Hour, true}, {3 * time.Hour, true}, {3 * time.Hour, false},
	} {
		if got := admit(t, o, t0.Add(tt.at), alice); got != tt.want {
			t.Errorf("send %d at t0+%v: AdmitSend = %v; want %v", i, tt.at, got, tt.want)
		}
	}
	if !admit(t, o, t0.Add(3*time.Hour), store.SendLimit{Subject: "user:bob", Max: 1}) {
		t.Errorf("AdmitSend(bob) = false; want true: limits are per subject")
	}
}

// testAdmitSendAllOrNothing: a send refused by one limit is counted by none.
func testAdmitSendAllOrNothing(t *testing.T, _ store.Store, o store.OOBStore) {
	src := store.SendLimit{Subject: "source:192.0.2.7", Max: 2}
	for _, u := range []string{"user:alice", "user:bob"} {
		if !admit(t, o, t0, src, store.SendLimit{Subject: u, Max: 5}) {
			t.Fatalf("AdmitSend(%s) = false; want true", u)
		}
	}
	carol := store.SendLimit{Subject: "user:carol", Max: 1}
	if admit(t, o, t0, carol, src) {
		t.Errorf("AdmitSend(carol, a full source) = true; want false")
	}
	if !admit(t, o, t0, carol) {
		t.Errorf("AdmitSend(carol alone) = false; want true: the refused send was counted for carol")
	}
}

// testAdmitSendRace: of many concurrent sends, exactly Max are admitted.
func testAdmitSendRace(t *testing.T, _ store.Store, o store.OOBStore) {
	const max = 10
	var wins atomic.Int32
	race(func(i int) {
		// Each racer also names a subject of its own, in a different
		// order, so that rows are locked in several orders at once.
		limits := []store.SendLimit{{Subject: "user:racer" + strconv.Itoa(i), Max: 1}, {Subject: "source:192.0.2.1", Max: max}}
		if i%2 == 0 {
			limits[0], limits[1] = limits[1], limits[0]
		}
		if ok, err := o.AdmitSend(ctx(t), limits, time.Hour, t0); ok && err == nil {
			wins.Add(1)
		} else if err != nil {
			t.Errorf("AdmitSend = %v", err)
		}
	})
	if n := wins.Load(); n != max {
		t.Errorf("%d of %d concurrent AdmitSend succeeded; want exactly %d", n, racers, max)
	}
}

func testAdmitSendRefusesBadLimits(t *testing.T, _ store.Store, o store.OOBStore) {
	for _, tt := range []struct {
		name   string
		limits []store.SendLimit
		window time.Duration
	}{
		{"no subject", []store.SendLimit{{Max: 1}}, time.Hour},
		{"max 0", []store.SendLimit{{Subject: "user:a", Max: 0}}, time.Hour},
		{"max too large", []store.SendLimit{{Subject: "user:a", Max: store.MaxSendLimit + 1}}, time.Hour},
		{"a subject twice", []store.SendLimit{{Subject: "user:a", Max: 1}, {Subject: "user:a", Max: 2}}, time.Hour},
		{"no window", []store.SendLimit{{Subject: "user:a", Max: 1}}, 0},
	} {
		if ok, err := o.AdmitSend(ctx(t), tt.limits, tt.window, t0); ok || err == nil {
			t.Errorf("AdmitSend(%s) = %v, %v; want an error", tt.name, ok, err)
		}
	}
}

func testPurgeOOB(t *testing.T, s store.Store, o store.OOBStore) {
	oobToken(t, s)
	if err := o.PutOOBCode(ctx(t), newCode("a", t0), t0); err != nil {
		t.Fatalf("PutOOBCode = %v", err)
	}
	admit(t, o, t0, store.SendLimit{Subject: "user:alice", Max: 1})
	admit(t, o, t0.Add(30*time.Minute), store.SendLimit{Subject: "user:bob", Max: 1})
	// At t0+1h the code (expired at t0+15m) and alice's count (last send
	// an hour ago) go; bob's stays.
	n, err := o.PurgeOOB(ctx(t), t0.Add(time.Hour), time.Hour)
	if err != nil || n != 2 {
		t.Errorf("PurgeOOB = %d, %v; want 2", n, err)
	}
	_, err = o.OOBCode(ctx(t), "e1")
	wantErr(t, "OOBCode after PurgeOOB", err, store.ErrNotFound)
	if admit(t, o, t0.Add(time.Hour), store.SendLimit{Subject: "user:bob", Max: 1}) {
		t.Errorf("AdmitSend(bob) after PurgeOOB = true; want false: his send is within the window")
	}
	if n, err := o.PurgeOOB(ctx(t), t0.Add(time.Hour), time.Hour); n != 0 || err != nil {
		t.Errorf("PurgeOOB again = %d, %v; want 0", n, err)
	}
}
