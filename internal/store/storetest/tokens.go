package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

func testTokenRoundTrip(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	full := newToken("full", "alice")
	full.Failures, full.LockedUntil = 3, store.Forever
	full.LastCheck, full.LastSuccess = t0.Add(-time.Minute), t0.Add(-2*time.Minute)

	yubi := &store.Token{ID: "yubi", User: "alice", Type: store.Yubico, Enabled: false,
		Secret: []byte{0, 1, 2, 0xfe, 0xff}, Identifier: "cccccccbcjdi", PrivateID: []byte{0, 0xaa, 0, 0xbb, 0, 0},
		Next: 0x1234_05, Created: t0, ConfiguredAt: t0}
	bare := &store.Token{ID: "bare", User: "alice", Type: store.HOTP, Secret: []byte{}, Created: t0.Add(time.Second)}

	for _, tok := range []*store.Token{full, yubi, bare} {
		mustToken(t, s, tok)
		if err := diffToken(getToken(t, s, tok.ID), *tok); err != nil {
			t.Errorf("Token(%q) after AddToken:\n%v", tok.ID, err)
		}
	}

	stamped := &store.Token{ID: "stamped", User: "alice", Type: store.HOTP, Secret: []byte{1}}
	before := time.Now()
	mustToken(t, s, stamped)
	got := getToken(t, s, "stamped")
	if got.Created.Before(before.Add(-time.Minute)) || got.ConfiguredAt.IsZero() {
		t.Errorf("AddToken with zero Created: Created %v, ConfiguredAt %v; want both about now", got.Created, got.ConfiguredAt)
	}
	if !got.Created.Equal(stamped.Created) {
		t.Errorf("AddToken set Created %v in the row but %v in the token", got.Created, stamped.Created)
	}
}

func testAddTokenErrors(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	wantErr(t, "AddToken(user nobody)", s.AddToken(ctx(t), newToken("x", "nobody")), store.ErrNotFound)

	mustToken(t, s, newToken("x", "alice"))
	wantErr(t, "AddToken(same ID)", s.AddToken(ctx(t), newToken("x", "alice")), store.ErrExists)

	a, b := newToken("a", "alice"), newToken("b", "alice")
	a.Identifier, b.Identifier = "12345678", "12345678"
	mustToken(t, s, a)
	wantErr(t, "AddToken(same Identifier)", s.AddToken(ctx(t), b), store.ErrExists)
	if _, err := s.Token(ctx(t), "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Token(b) after a refused AddToken = %v; want ErrNotFound", err)
	}
	// Empty identifiers do not collide.
	mustToken(t, s, newToken("c", "alice"))
	mustToken(t, s, newToken("d", "alice"))
}

func testTokenByIdentifier(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	tok := newToken("p", "alice")
	tok.Type, tok.Identifier = store.HOTPPrefixed, "UBHE00012345"
	mustToken(t, s, tok)
	mustToken(t, s, newToken("q", "alice"))

	got, err := s.TokenByIdentifier(ctx(t), "UBHE00012345")
	if err != nil || got.ID != "p" {
		t.Errorf("TokenByIdentifier(UBHE00012345) = %q, %v; want p", got.ID, err)
	}
	for _, ident := range []string{"UBHE00012346", "ubhe00012345", ""} {
		_, err := s.TokenByIdentifier(ctx(t), ident)
		wantErr(t, fmt.Sprintf("TokenByIdentifier(%q)", ident), err, store.ErrNotFound)
	}
}

func testTokensOrder(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustUser(t, s, "bob")
	// Added out of order: Tokens sorts by Created.
	for i, id := range []string{"z3", "a1", "m2"} {
		tok := newToken(id, "alice")
		tok.Created = t0.Add(time.Duration([]int{3, 1, 2}[i]) * time.Second)
		mustToken(t, s, tok)
	}
	mustToken(t, s, newToken("b", "bob"))
	ts, err := s.Tokens(ctx(t), "alice")
	if err != nil {
		t.Fatalf("Tokens(alice) = %v", err)
	}
	var ids []string
	for _, tok := range ts {
		ids = append(ids, tok.ID)
	}
	if fmt.Sprint(ids) != "[a1 m2 z3]" {
		t.Errorf("Tokens(alice) = %v; want [a1 m2 z3]", ids)
	}
	if ts, err := s.Tokens(ctx(t), "nobody"); err != nil || len(ts) != 0 {
		t.Errorf("Tokens(nobody) = %d tokens, %v; want none", len(ts), err)
	}
}

func testForEachToken(t *testing.T, s store.Store) {
	const n = 1000 // more than one page of any sane page size
	mustUser(t, s, "alice")
	for i := range n {
		mustToken(t, s, newToken(fmt.Sprintf("t%04d", i), "alice"))
	}
	seen := map[string]int{}
	err := s.ForEachToken(ctx(t), func(tok store.Token) error {
		seen[tok.ID]++
		if len(tok.Secret) == 0 {
			return fmt.Errorf("token %q has no secret", tok.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ForEachToken = %v", err)
	}
	for i := range n {
		if id := fmt.Sprintf("t%04d", i); seen[id] != 1 {
			t.Errorf("ForEachToken visited %q %d times; want once", id, seen[id])
		}
	}
	if len(seen) != n {
		t.Errorf("ForEachToken visited %d tokens; want %d", len(seen), n)
	}

	stop := errors.New("stop")
	calls := 0
	err = s.ForEachToken(ctx(t), func(store.Token) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Errorf("ForEachToken with fn failing at call 10 = %v after %d calls; want stop after 10", err, calls)
	}
}

func testUpdateToken(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	mustToken(t, s, func() *store.Token { o := newToken("other", "alice"); o.Identifier = "taken"; return o }())
	failed := fail(t, s, attempt("x", t0, 0, store.Forever))

	tok := getToken(t, s, "x")
	tok.Enabled, tok.Comment = false, "lost"
	tok.Params = otp.Params{Algorithm: otp.SHA512, Digits: 6, Period: 30 * time.Second}
	tok.Next, tok.Drift = 2000, 3
	tok.Secret, tok.PrivateID, tok.Identifier = []byte("resealed"), []byte{9, 9}, "ident"
	tok.Failures, tok.LockedUntil = 0, time.Time{} // not configuration: ignored
	before := time.Now()
	if err := s.UpdateToken(ctx(t), &tok); err != nil {
		t.Fatalf("UpdateToken = %v", err)
	}
	got := getToken(t, s, "x")
	want := tok
	want.Failures, want.LockedUntil = failed.Failures, failed.LockedUntil
	want.ConfiguredAt = got.ConfiguredAt
	if err := diffToken(got, want); err != nil {
		t.Errorf("Token after UpdateToken:\n%v", err)
	}
	if got.ConfiguredAt.Before(before.Add(-time.Minute)) || !got.ConfiguredAt.Equal(tok.ConfiguredAt) {
		t.Errorf("UpdateToken: ConfiguredAt %v in the row, %v in the token; want both about now", got.ConfiguredAt, tok.ConfiguredAt)
	}

	tok.Identifier = "taken"
	wantErr(t, "UpdateToken(identifier taken)", s.UpdateToken(ctx(t), &tok), store.ErrExists)
	missing := newToken("missing", "alice")
	wantErr(t, "UpdateToken(missing)", s.UpdateToken(ctx(t), missing), store.ErrNotFound)
}

// testUpdateTokenKeepsNext: an admin change made from a copy read before a
// success must not reopen the counters that success used.
func testUpdateTokenKeepsNext(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	stale := getToken(t, s, "x")
	if c := commit(t, s, success("x", 1500, 0, t0)); c != store.Committed {
		t.Fatalf("CommitSuccess(1500) = %v; want Committed", c)
	}
	stale.Comment = "renamed"
	if err := s.UpdateToken(ctx(t), &stale); err != nil {
		t.Fatalf("UpdateToken = %v", err)
	}
	if stale.Next != 1500 {
		t.Errorf("UpdateToken from a stale copy set t.Next = %d; want the stored 1500", stale.Next)
	}
	if got := getToken(t, s, "x"); got.Next != 1500 || got.Comment != "renamed" {
		t.Errorf("after UpdateToken from a stale copy: Next %d, Comment %q; want 1500, renamed", got.Next, got.Comment)
	}
	if c := commit(t, s, success("x", 1500, 0, t0)); c != store.Replayed {
		t.Errorf("CommitSuccess(1500) again = %v; want Replayed", c)
	}
	stale.Next = 1600 // resync forward
	if err := s.UpdateToken(ctx(t), &stale); err != nil || getToken(t, s, "x").Next != 1600 {
		t.Errorf("UpdateToken(Next 1600) = %v, stored Next %d; want 1600", err, getToken(t, s, "x").Next)
	}
}

func testDeleteToken(t *testing.T, s store.Store) {
	mustUser(t, s, "alice")
	mustToken(t, s, newToken("x", "alice"))
	mustToken(t, s, newToken("y", "alice"))
	if err := s.DeleteToken(ctx(t), "x"); err != nil {
		t.Fatalf("DeleteToken(x) = %v", err)
	}
	wantErr(t, "DeleteToken(x) again", s.DeleteToken(ctx(t), "x"), store.ErrNotFound)
	_, err := s.Token(ctx(t), "x")
	wantErr(t, "Token(x) after delete", err, store.ErrNotFound)
	getToken(t, s, "y")
	if _, err := s.User(ctx(t), "alice"); err != nil {
		t.Errorf("User(alice) after DeleteToken = %v; want the user kept", err)
	}
}
