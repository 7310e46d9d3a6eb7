package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

const idle = 15 * time.Minute

func sessionID(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func newSession(id, user string) *store.WebSession {
	return &store.WebSession{ID: sessionID(id), User: user, Stage: "password", Data: []byte("sealed\x00" + id),
		Created: t0, Seen: t0, Expires: t0.Add(8 * time.Hour)}
}

func sameSession(a, b store.WebSession) bool {
	return bytes.Equal(a.ID, b.ID) && a.User == b.User && a.Stage == b.Stage && bytes.Equal(a.Data, b.Data) &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires)
}

func testWebSessions(t *testing.T, s store.Store) {
	ws := newSession("a", "alice")
	if err := s.PutWebSession(ctx(t), ws); err != nil {
		t.Fatal(err)
	}
	if err := s.PutWebSession(ctx(t), newSession("a", "bob")); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutWebSession(taken ID) = %v; want ErrExists", err)
	}
	if err := s.PutWebSession(ctx(t), &store.WebSession{ID: sessionID("b"), User: "x"}); err == nil {
		t.Error("PutWebSession(no times) = nil; want an error")
	}
	now := t0.Add(time.Minute)
	got, err := s.TouchWebSession(ctx(t), ws.ID, now, idle)
	if err != nil || !sameSession(got, *ws) || !got.Seen.Equal(now) {
		t.Fatalf("TouchWebSession() = %+v, %v; want %+v seen at %v", got, err, ws, now)
	}
	ws.User, ws.Stage, ws.Data = "alice", "full", []byte("other")
	if err := s.UpdateWebSession(ctx(t), ws); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TouchWebSession(ctx(t), ws.ID, now, idle); err != nil || !sameSession(got, *ws) {
		t.Errorf("after UpdateWebSession: %+v, %v; want %+v", got, err, ws)
	}
	if _, err := s.TouchWebSession(ctx(t), sessionID("none"), now, idle); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession(unknown) = %v; want ErrNotFound", err)
	}
	if err := s.DeleteWebSession(ctx(t), ws.ID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"TouchWebSession":  second(s.TouchWebSession(ctx(t), ws.ID, now, idle)),
		"UpdateWebSession": s.UpdateWebSession(ctx(t), ws),
		"DeleteWebSession": s.DeleteWebSession(ctx(t), ws.ID),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s(deleted) = %v; want ErrNotFound", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func testWebSessionTimeouts(t *testing.T, s store.Store) {
	ws := newSession("t", "alice")
	if err := s.PutWebSession(ctx(t), ws); err != nil {
		t.Fatal(err)
	}
	// Each touch within idle of the last keeps the session, past idle
	// after its start.
	at := t0
	for range 3 {
		at = at.Add(idle - time.Second)
		if _, err := s.TouchWebSession(ctx(t), ws.ID, at, idle); err != nil {
			t.Fatalf("TouchWebSession(%v after the last) = %v; want alive", idle-time.Second, err)
		}
	}
	if _, err := s.TouchWebSession(ctx(t), ws.ID, at.Add(idle), idle); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession(idle for %v) = %v; want ErrNotFound", idle, err)
	}
	busy := newSession("abs", "bob")
	busy.Expires = t0.Add(time.Hour)
	if err := s.PutWebSession(ctx(t), busy); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TouchWebSession(ctx(t), busy.ID, busy.Expires, 24*time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession(at Expires) = %v; want ErrNotFound", err)
	}
}

func testDeleteUserWebSessions(t *testing.T, s store.Store) {
	for i, u := range []string{"alice", "alice", "bob"} {
		if err := s.PutWebSession(ctx(t), newSession(fmt.Sprint(i), u)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteUserWebSessions(ctx(t), "alice"); n != 2 || err != nil {
		t.Errorf("DeleteUserWebSessions(alice) = %d, %v; want 2", n, err)
	}
	if _, err := s.TouchWebSession(ctx(t), sessionID("2"), t0, idle); err != nil {
		t.Errorf("bob's session after alice's went: %v", err)
	}
}

func testWebInvites(t *testing.T, s store.Store) {
	inv := &store.WebInvite{ID: sessionID("link"), User: "alice", CreatedBy: "admin-cli", Expires: t0.Add(time.Hour)}
	if err := s.PutWebInvite(ctx(t), inv); err != nil {
		t.Fatal(err)
	}
	if inv.Created.IsZero() {
		t.Error("PutWebInvite left Created zero")
	}
	if err := s.PutWebInvite(ctx(t), &store.WebInvite{ID: inv.ID, User: "bob", Expires: t0}); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutWebInvite(taken ID) = %v; want ErrExists", err)
	}
	got, err := s.TakeWebInvite(ctx(t), inv.ID, t0)
	if err != nil || got.User != "alice" || got.CreatedBy != "admin-cli" || !got.Expires.Equal(inv.Expires) {
		t.Fatalf("TakeWebInvite() = %+v, %v; want %+v", got, err, inv)
	}
	if _, err := s.TakeWebInvite(ctx(t), inv.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeWebInvite(used) = %v; want ErrNotFound", err)
	}
	late := &store.WebInvite{ID: sessionID("late"), User: "bob", Expires: t0}
	if err := s.PutWebInvite(ctx(t), late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeWebInvite(ctx(t), late.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeWebInvite(at Expires) = %v; want ErrNotFound", err)
	}
	if _, err := s.TakeWebInvite(ctx(t), late.ID, t0.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeWebInvite(refused late, then early) = %v; want ErrNotFound: it is gone", err)
	}
}

func testWebInviteRace(t *testing.T, s store.Store) {
	inv := &store.WebInvite{ID: sessionID("race"), User: "alice", Expires: t0.Add(time.Hour)}
	if err := s.PutWebInvite(ctx(t), inv); err != nil {
		t.Fatal(err)
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := s.TakeWebInvite(ctx(t), inv.ID, t0); err == nil {
				won.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Errorf("%d of 16 concurrent TakeWebInvite took the link; want 1", won.Load())
	}
}

func testPurgeWeb(t *testing.T, s store.Store) {
	alive, idled, ended := newSession("alive", "a"), newSession("idle", "b"), newSession("ended", "c")
	idled.Seen = t0.Add(-idle)
	ended.Expires = t0
	for _, ws := range []*store.WebSession{alive, idled, ended} {
		if err := s.PutWebSession(ctx(t), ws); err != nil {
			t.Fatal(err)
		}
	}
	for i, exp := range []time.Time{t0, t0.Add(time.Second)} {
		if err := s.PutWebInvite(ctx(t), &store.WebInvite{ID: sessionID(fmt.Sprint("inv", i)), User: "a", Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PurgeWeb(ctx(t), t0, idle); n != 3 || err != nil {
		t.Errorf("PurgeWeb() = %d, %v; want 3 (an idle session, an ended one, an expired invitation)", n, err)
	}
	if _, err := s.TouchWebSession(ctx(t), alive.ID, t0, idle); err != nil {
		t.Errorf("the live session after PurgeWeb: %v", err)
	}
	if _, err := s.TakeWebInvite(ctx(t), sessionID("inv1"), t0); err != nil {
		t.Errorf("the live invitation after PurgeWeb: %v", err)
	}
}

func testAddFirstToken(t *testing.T, s store.Store) {
	if err := s.AddFirstToken(ctx(t), newToken("nouser", "ghost")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddFirstToken(unknown user) = %v; want ErrNotFound", err)
	}
	mustUser(t, s, "alice")
	first := newToken("first", "alice")
	first.Enabled = false
	if err := s.AddFirstToken(ctx(t), first); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFirstToken(ctx(t), newToken("second", "alice")); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddFirstToken(user with a disabled token) = %v; want ErrExists", err)
	}
	if ts, err := s.Tokens(ctx(t), "alice"); err != nil || len(ts) != 1 {
		t.Errorf("Tokens(alice) = %d tokens, %v; want only the first", len(ts), err)
	}
}

func testAddFirstTokenRace(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			err := s.AddFirstToken(ctx(t), newToken(fmt.Sprint("race", i), "alice"))
			if err == nil {
				won.Add(1)
			} else if !errors.Is(err, store.ErrExists) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ts, err := s.Tokens(ctx(t), "alice"); won.Load() != 1 || err != nil || len(ts) != 1 {
		t.Errorf("16 concurrent AddFirstToken: %d won, %d tokens stored (%v); want 1 and 1", won.Load(), len(ts), err)
	}
}
