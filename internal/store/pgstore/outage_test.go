package pgstore

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
)

// TestOutage: while the database is down every call fails (a login fails
// closed) with an error naming the server; once it is back, the same store
// works again by itself, and what was accepted before stays accepted.
func TestOutage(t *testing.T) {
	cluster := testpeer.NewPostgres(t)
	u := cluster.NewDB(t)
	parsed, _ := url.Parse(u)
	pw, _ := parsed.User.Password()
	s := openURL(t, u)
	if _, err := s.CreateUser(t.Context(), "alice"); err != nil {
		t.Fatalf("CreateUser = %v", err)
	}
	tok := &store.Token{ID: "x", User: "alice", Type: store.HOTP, Enabled: true, Secret: []byte("sealed"), Next: 10}
	if err := s.AddToken(t.Context(), tok); err != nil {
		t.Fatalf("AddToken = %v", err)
	}
	if ok, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: 11, Now: time.Now()}); ok != store.Committed || err != nil {
		t.Fatalf("CommitSuccess(11) before the outage = %v, %v; want committed", ok, err)
	}

	cluster.Stop(t)
	var last error
	for i := range 3 {
		ok, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: 20 + int64(i), Now: time.Now()})
		if ok == store.Committed || err == nil {
			t.Fatalf("CommitSuccess while the database is down = %v, %v; want an error", ok, err)
		}
		last = err
	}
	if msg := last.Error(); !strings.Contains(msg, cluster.Addr()) || !strings.Contains(msg, "unreachable") ||
		strings.Contains(msg, pw) {
		t.Errorf("error while the database is down = %q; want it to say %s is unreachable, without the password", msg, cluster.Addr())
	}
	if _, err := s.Token(t.Context(), "x"); err == nil {
		t.Errorf("Token while the database is down = nil error; want an error")
	}

	cluster.Start(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: 30, Now: time.Now()})
		if err == nil {
			if ok != store.Committed {
				t.Fatalf("first CommitSuccess(30) after the outage = false; want true")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover after the database returned: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, next := range []int64{11, 30} {
		if ok, err := s.CommitSuccess(t.Context(), store.Success{TokenID: "x", Next: next, Now: time.Now()}); ok != store.Replayed || err != nil {
			t.Errorf("CommitSuccess(%d) again after the outage = %v, %v; want replayed", next, ok, err)
		}
	}
	if got, err := s.Token(t.Context(), "x"); err != nil || got.Next != 30 {
		t.Errorf("Token(x) after the outage = Next %d, %v; want 30", got.Next, err)
	}
}
