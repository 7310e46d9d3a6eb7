package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func newChallenge(id string) store.Challenge {
	return store.Challenge{ID: id, User: "alice", Kind: "openvpn-crtext",
		Data: []byte("state\x00\xff"), Expires: t0.Add(time.Minute), Created: t0}
}

func testChallenges(t *testing.T, s store.Store) {
	c := newChallenge("c1")
	if err := s.PutChallenge(ctx(t), c); err != nil {
		t.Fatalf("PutChallenge = %v", err)
	}
	wantErr(t, "PutChallenge(same ID)", s.PutChallenge(ctx(t), newChallenge("c1")), store.ErrExists)

	got, err := s.TakeChallenge(ctx(t), "c1", t0)
	if err != nil {
		t.Fatalf("TakeChallenge = %v", err)
	}
	if got.ID != c.ID || got.User != c.User || got.Kind != c.Kind || !bytes.Equal(got.Data, c.Data) ||
		!got.Expires.Equal(c.Expires) || !got.Created.Equal(c.Created) {
		t.Errorf("TakeChallenge = %+v; want %+v", got, c)
	}
	_, err = s.TakeChallenge(ctx(t), "c1", t0)
	wantErr(t, "TakeChallenge again", err, store.ErrNotFound)
	_, err = s.TakeChallenge(ctx(t), "never", t0)
	wantErr(t, "TakeChallenge(unknown)", err, store.ErrNotFound)

	// A challenge for a user the store does not know is kept: a front end
	// may not reveal that a name is unknown.
	stranger := newChallenge("c2")
	stranger.User, stranger.Created = "nobody", time.Time{}
	if err := s.PutChallenge(ctx(t), stranger); err != nil {
		t.Fatalf("PutChallenge(unknown user) = %v", err)
	}
	if got, err := s.TakeChallenge(ctx(t), "c2", t0); err != nil || got.Created.IsZero() {
		t.Errorf("TakeChallenge(c2) = %+v, %v; want it, with Created set", got, err)
	}
}

func testChallengeExpiry(t *testing.T, s store.Store) {
	for _, tt := range []struct {
		at time.Duration // after t0; the challenges expire at t0+1m
		ok bool
	}{
		{0, true},
		{time.Minute - time.Nanosecond, true},
		{time.Minute, false},
		{time.Hour, false},
	} {
		if err := s.PutChallenge(ctx(t), newChallenge("c")); err != nil {
			t.Fatalf("PutChallenge = %v", err)
		}
		_, err := s.TakeChallenge(ctx(t), "c", t0.Add(tt.at))
		if (err == nil) != tt.ok {
			t.Errorf("TakeChallenge at Expires%+v = %v; want ok %v", tt.at-time.Minute, err, tt.ok)
		}
		// Taken or expired, it is gone either way.
		_, err = s.TakeChallenge(ctx(t), "c", t0)
		wantErr(t, "TakeChallenge after a take", err, store.ErrNotFound)
	}
}

// testChallengeRace: a challenge answered by many requests at once is
// consumed by exactly one.
func testChallengeRace(t *testing.T, s store.Store) {
	for round := range 5 {
		if err := s.PutChallenge(ctx(t), newChallenge("c")); err != nil {
			t.Fatalf("PutChallenge = %v", err)
		}
		var (
			mu   sync.Mutex
			wins int
		)
		race(func(int) {
			_, err := s.TakeChallenge(ctx(t), "c", t0)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
		if wins != 1 {
			t.Errorf("round %d: %d of %d concurrent TakeChallenge succeeded; want exactly 1", round, wins, racers)
		}
	}
}

func testPurgeChallenges(t *testing.T, s store.Store) {
	for i, exp := range []time.Duration{-time.Hour, -time.Second, 0, time.Second, time.Hour} {
		c := newChallenge(string(rune('a' + i)))
		c.Expires = t0.Add(exp)
		if err := s.PutChallenge(ctx(t), c); err != nil {
			t.Fatalf("PutChallenge = %v", err)
		}
	}
	n, err := s.PurgeChallenges(ctx(t), t0)
	if err != nil || n != 3 {
		t.Errorf("PurgeChallenges(t0) = %d, %v; want 3 (expired before or at t0)", n, err)
	}
	for i, live := range []bool{false, false, false, true, true} {
		_, err := s.TakeChallenge(ctx(t), string(rune('a'+i)), t0.Add(-2*time.Hour))
		if (err == nil) != live {
			t.Errorf("challenge %d after purge: TakeChallenge = %v; want kept %v", i, err, live)
		}
	}
	if n, err := s.PurgeChallenges(ctx(t), t0); n != 0 || err != nil {
		t.Errorf("PurgeChallenges again = %d, %v; want 0", n, err)
	}
}
