package storetest

import (
	"errors"
	"fmt"
	"testing"

	"otpgate.dev/otpgate/internal/store"
)

// testReplaceTokens: the old tokens go and the new one comes in one
// transaction; a token of another user or an unknown one changes nothing.
func testReplaceTokens(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustUser(t, s, "bob")
	mustToken(t, s, newToken("a1", "alice"))
	mustToken(t, s, newToken("a2", "alice"))
	mustToken(t, s, newToken("b1", "bob"))
	ids := func(user string) string {
		ts, err := s.Tokens(ctx(t), user)
		if err != nil {
			t.Fatalf("Tokens(%s) = %v", user, err)
		}
		var out []string
		for _, tok := range ts {
			out = append(out, tok.ID)
		}
		return fmt.Sprint(out)
	}
	for _, old := range [][]string{{"a1", "b1"}, {"a1", "nope"}} {
		if err := s.ReplaceTokens(ctx(t), old, newToken("a3", "alice")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReplaceTokens(%v) = %v; want ErrNotFound", old, err)
		}
		if got := ids("alice") + ids("bob"); got != "[a1 a2][b1]" {
			t.Errorf("after a failed ReplaceTokens(%v): tokens %s; want every one kept and no a3", old, got)
		}
	}
	if err := s.ReplaceTokens(ctx(t), []string{"a1", "a2"}, newToken("a3", "alice")); err != nil {
		t.Fatalf("ReplaceTokens = %v", err)
	}
	if got := ids("alice") + ids("bob"); got != "[a3][b1]" {
		t.Errorf("after ReplaceTokens: tokens %s; want [a3][b1]", got)
	}
	if err := s.ReplaceTokens(ctx(t), nil, newToken("b1", "bob")); !errors.Is(err, store.ErrExists) {
		t.Errorf("ReplaceTokens adding a duplicate ID = %v; want ErrExists", err)
	}
}
