package storetest

import (
	"slices"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	before := time.Now()
	u := mustUser(t, s, "alice")
	if u.Name != "alice" || u.Created.Before(before.Add(-time.Minute)) {
		t.Errorf("CreateUser(alice) = %+v; want Name alice, Created about now", u)
	}
	mustUser(t, s, "bob")
	_, err := s.CreateUser(ctx(t), "alice")
	wantErr(t, "CreateUser(alice) again", err, store.ErrExists)

	got, err := s.User(ctx(t), "alice")
	if err != nil || got.Name != "alice" || !got.Created.Equal(u.Created) {
		t.Errorf("User(alice) = %+v, %v; want %+v", got, err, u)
	}
	_, err = s.User(ctx(t), "carol")
	wantErr(t, "User(carol)", err, store.ErrNotFound)

	us, err := s.Users(ctx(t))
	if err != nil {
		t.Fatalf("Users() = %v", err)
	}
	var names []string
	for _, u := range us {
		names = append(names, u.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"alice", "bob"}) {
		t.Errorf("Users() = %v; want alice and bob", names)
	}

	if err := s.DeleteUser(ctx(t), "bob"); err != nil {
		t.Errorf("DeleteUser(bob) = %v", err)
	}
	wantErr(t, "DeleteUser(bob) again", s.DeleteUser(ctx(t), "bob"), store.ErrNotFound)
	_, err = s.User(ctx(t), "bob")
	wantErr(t, "User(bob) after delete", err, store.ErrNotFound)
}

func testDeleteUserCascades(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustUser(t, s, "bob")
	mustToken(t, s, newToken("a1", "alice"))
	mustToken(t, s, newToken("a2", "alice"))
	mustToken(t, s, newToken("b1", "bob"))
	for _, c := range []store.Challenge{
		{ID: "ca", User: "alice", Kind: "radius", Expires: t0.Add(time.Hour)},
		{ID: "cb", User: "bob", Kind: "radius", Expires: t0.Add(time.Hour)},
	} {
		if err := s.PutChallenge(ctx(t), c); err != nil {
			t.Fatalf("PutChallenge(%s) = %v", c.ID, err)
		}
	}
	if err := s.DeleteUser(ctx(t), "alice"); err != nil {
		t.Fatalf("DeleteUser(alice) = %v", err)
	}
	for _, id := range []string{"a1", "a2"} {
		_, err := s.Token(ctx(t), id)
		wantErr(t, "Token("+id+") after DeleteUser", err, store.ErrNotFound)
	}
	if ts, err := s.Tokens(ctx(t), "alice"); err != nil || len(ts) != 0 {
		t.Errorf("Tokens(alice) after DeleteUser = %d tokens, %v; want none", len(ts), err)
	}
	_, err := s.TakeChallenge(ctx(t), "ca", t0)
	wantErr(t, "TakeChallenge(alice's) after DeleteUser", err, store.ErrNotFound)

	getToken(t, s, "b1")
	if _, err := s.TakeChallenge(ctx(t), "cb", t0); err != nil {
		t.Errorf("TakeChallenge(bob's) = %v; want bob's challenge kept", err)
	}
}
