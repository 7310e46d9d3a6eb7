package storetest

import (
	"errors"
	"testing"

	"otpgate.dev/otpgate/internal/store"
)

func testImport(t *testing.T, s store.Store) {
	mustUser(t, s, "old")
	a1, a2, b, o := newToken("a1", "alice"), newToken("a2", "alice"), newToken("b", "bob"), newToken("o", "old")
	if err := s.Import(ctx(t), []string{"alice", "bob"}, []*store.Token{a1, a2, b, o}); err != nil {
		t.Fatalf("Import = %v", err)
	}
	for _, tok := range []*store.Token{a1, a2, b, o} {
		if err := diffToken(getToken(t, s, tok.ID), *tok); err != nil {
			t.Errorf("Token(%q) after Import:\n%v", tok.ID, err)
		}
	}
	if us, _ := s.Users(ctx(t)); len(us) != 3 {
		t.Errorf("Users after Import = %v; want alice, bob, old", us)
	}
}

// testImportAllOrNothing: one bad user or token and nothing is stored.
func testImportAllOrNothing(t *testing.T, s store.Store) {
	mustUser(t, s, "old")
	dup := newToken("dup", "old")
	dup.Identifier = "cccccccbcjdi"
	mustToken(t, s, dup)

	sameIdent := newToken("y", "carol")
	sameIdent.Identifier = "cccccccbcjdi"
	tests := []struct {
		name   string
		users  []string
		tokens []*store.Token
		want   error
	}{
		{"existing user", []string{"carol", "old"}, []*store.Token{newToken("x", "carol")}, store.ErrExists},
		{"duplicate identifier", []string{"carol"}, []*store.Token{newToken("x", "carol"), sameIdent}, store.ErrExists},
		{"duplicate id", []string{"carol"}, []*store.Token{newToken("x", "carol"), newToken("dup", "carol")}, store.ErrExists},
		{"unknown user", []string{"carol"}, []*store.Token{newToken("x", "carol"), newToken("z", "nobody")}, store.ErrNotFound},
	}
	for _, tt := range tests {
		err := s.Import(ctx(t), tt.users, tt.tokens)
		wantErr(t, "Import("+tt.name+")", err, tt.want)
		if _, err := s.User(ctx(t), "carol"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after a refused Import (%s): User(carol) = %v; want ErrNotFound", tt.name, err)
		}
		if _, err := s.Token(ctx(t), "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after a refused Import (%s): Token(x) = %v; want ErrNotFound", tt.name, err)
		}
	}
	if toks, _ := s.Tokens(ctx(t), "old"); len(toks) != 1 {
		t.Errorf("Tokens(old) after refused Imports = %d tokens; want 1", len(toks))
	}
}
