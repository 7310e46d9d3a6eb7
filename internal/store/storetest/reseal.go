package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"otpgate.dev/otpgate/internal/store"
)

func testReseal(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	const n = 300
	for i := range n {
		tok := newToken(fmt.Sprintf("t%03d", i), "alice")
		if i%2 == 0 {
			tok.PrivateID = []byte{byte(i), 1, 2, 3, 4, 5}
		}
		mustToken(t, s, tok)
	}
	seen := 0
	err := s.Reseal(ctx(t), func(tok *store.Token) error {
		seen++
		tok.Secret = append([]byte("v2:"), tok.Secret...)
		if tok.PrivateID != nil {
			tok.PrivateID = append([]byte("v2:"), tok.PrivateID...)
		}
		tok.Next, tok.Comment = 0, "not written" // Reseal writes back only the sealed fields
		return nil
	})
	if err != nil || seen != n {
		t.Fatalf("Reseal = %v after %d calls; want nil after %d", err, seen, n)
	}
	for i := range n {
		want := newToken(fmt.Sprintf("t%03d", i), "alice")
		want.Secret = append([]byte("v2:"), want.Secret...)
		if i%2 == 0 {
			want.PrivateID = append([]byte("v2:"), byte(i), 1, 2, 3, 4, 5)
		}
		if err := diffToken(getToken(t, s, want.ID), *want); err != nil {
			t.Errorf("Token(%q) after Reseal:\n%v", want.ID, err)
		}
	}
}

// testResealAllOrNothing: a rotation that fails halfway leaves every token
// as it was.
func testResealAllOrNothing(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	const n = 300
	for i := range n {
		mustToken(t, s, newToken(fmt.Sprintf("t%03d", i), "alice"))
	}
	broken := errors.New("key file vanished")
	calls := 0
	err := s.Reseal(ctx(t), func(tok *store.Token) error {
		calls++
		if calls == n/2 {
			return broken
		}
		tok.Secret = []byte("half-done")
		return nil
	})
	if !errors.Is(err, broken) {
		t.Errorf("Reseal with fn failing at call %d = %v; want %v", n/2, err, broken)
	}
	for i := range n {
		id := fmt.Sprintf("t%03d", i)
		if got := getToken(t, s, id); !bytes.Equal(got.Secret, newToken(id, "alice").Secret) {
			t.Errorf("Token(%q).Secret after a failed Reseal = %q; want the original", id, got.Secret)
		}
	}
	// The store still works after the rollback.
	if c, err := s.CommitSuccess(ctx(t), success("t000", 5000, 0, t0)); c != store.Committed || err != nil {
		t.Errorf("CommitSuccess after a failed Reseal = %v, %v; want Committed", c, err)
	}
}
