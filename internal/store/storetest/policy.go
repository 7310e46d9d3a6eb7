package storetest

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func testGroups(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, m := range [][2]string{{"staff", "bob"}, {"staff", "alice"}, {"admins", "alice"}, {"svc", "backup"}} {
		if err := s.AddGroupMember(c, m[0], m[1]); err != nil {
			t.Fatalf("AddGroupMember(%s, %s) = %v", m[0], m[1], err)
		}
	}
	if err := s.AddGroupMember(c, "staff", "bob"); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddGroupMember twice = %v; want ErrExists", err)
	}
	if gs, err := s.UserGroups(c, "alice"); err != nil || !slices.Equal(gs, []string{"admins", "staff"}) {
		t.Errorf("UserGroups(alice) = %v, %v; want [admins staff]", gs, err)
	}
	if gs, err := s.UserGroups(c, "nobody"); err != nil || len(gs) != 0 {
		t.Errorf("UserGroups(nobody) = %v, %v; want none", gs, err)
	}
	if us, err := s.GroupMembers(c, "staff"); err != nil || !slices.Equal(us, []string{"alice", "bob"}) {
		t.Errorf("GroupMembers(staff) = %v, %v; want [alice bob]", us, err)
	}
	want := []store.GroupInfo{{Name: "admins", Members: 1}, {Name: "staff", Members: 2}, {Name: "svc", Members: 1}}
	if gs, err := s.ListGroups(c); err != nil || !slices.Equal(gs, want) {
		t.Errorf("ListGroups = %v, %v; want %v", gs, err, want)
	}
	if err := s.RemoveGroupMember(c, "staff", "bob"); err != nil {
		t.Errorf("RemoveGroupMember = %v", err)
	}
	if err := s.RemoveGroupMember(c, "staff", "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveGroupMember twice = %v; want ErrNotFound", err)
	}
	if us, err := s.GroupMembers(c, "staff"); err != nil || !slices.Equal(us, []string{"alice"}) {
		t.Errorf("GroupMembers(staff) after removal = %v, %v", us, err)
	}
}

func recoveryCodes(user string, n int) []store.RecoveryCode {
	cs := make([]store.RecoveryCode, n)
	for i := range cs {
		cs[i] = store.RecoveryCode{ID: user + "-rc" + string(rune('a'+i)), User: user, Hash: "$argon2id$" + string(rune('a'+i)), Digits: 10, Created: t0.Add(time.Duration(i) * time.Second)}
	}
	return cs
}

func testRecoveryCodes(t *testing.T, s store.Store) {
	c := ctx(t)
	if err := s.SetRecoveryCodes(c, "ghost", recoveryCodes("ghost", 1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetRecoveryCodes(unknown user) = %v; want ErrNotFound", err)
	}
	mustUser(t, s, "alice")
	mustUser(t, s, "bob")
	first := recoveryCodes("alice", 3)
	if err := s.SetRecoveryCodes(c, "alice", first); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecoveryCodes(c, "bob", recoveryCodes("bob", 1)); err != nil {
		t.Fatal(err)
	}
	got, err := s.RecoveryCodes(c, "alice")
	if err != nil || !slices.Equal(got, first) {
		t.Fatalf("RecoveryCodes(alice) = %+v, %v; want %+v", got, err, first)
	}
	if ok, err := s.UseRecoveryCode(c, first[1].ID, t0); !ok || err != nil {
		t.Errorf("UseRecoveryCode = %v, %v; want true", ok, err)
	}
	if ok, err := s.UseRecoveryCode(c, first[1].ID, t0); ok || err != nil {
		t.Errorf("UseRecoveryCode again = %v, %v; want false", ok, err)
	}
	if ok, err := s.UseRecoveryCode(c, "no-such-code", t0); ok || err != nil {
		t.Errorf("UseRecoveryCode(unknown) = %v, %v; want false", ok, err)
	}
	if got, _ := s.RecoveryCodes(c, "alice"); len(got) != 2 || got[0].ID != first[0].ID || got[1].ID != first[2].ID {
		t.Errorf("RecoveryCodes after one use = %+v; want the other two", got)
	}
	// A new set replaces the old, used codes included.
	second := recoveryCodes("alice", 1)
	second[0].ID = "alice-new"
	if err := s.SetRecoveryCodes(c, "alice", second); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RecoveryCodes(c, "alice"); len(got) != 1 || got[0].ID != "alice-new" {
		t.Errorf("RecoveryCodes after a new set = %+v", got)
	}
	if ok, _ := s.UseRecoveryCode(c, first[0].ID, t0); ok {
		t.Error("a replaced code was still usable")
	}
	if err := s.DeleteUser(c, "alice"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RecoveryCodes(c, "alice"); len(got) != 0 {
		t.Errorf("RecoveryCodes after DeleteUser = %+v; want none", got)
	}
	if got, _ := s.RecoveryCodes(c, "bob"); len(got) != 1 {
		t.Errorf("RecoveryCodes(bob) = %+v; another user's codes changed", got)
	}
}

// testRecoveryCodeRace: 64 goroutines spend one code; exactly one wins.
func testRecoveryCodeRace(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	codes := recoveryCodes("alice", 1)
	if err := s.SetRecoveryCodes(ctx(t), "alice", codes); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			ok, err := s.UseRecoveryCode(ctx(t), codes[0].ID, t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 64 spent one recovery code; want 1", wins.Load())
	}
}
