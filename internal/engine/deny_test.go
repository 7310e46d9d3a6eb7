package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/store"
)

// countingStore counts the store calls a verification makes, around a real
// store.
type countingStore struct {
	store.Store
	calls map[string]int
}

func newCounting(st store.Store) *countingStore {
	return &countingStore{Store: st, calls: map[string]int{}}
}

// writes are the calls that write, by kind: a verification's outcome (on a
// token or a name) and a bare audit event.
func (c *countingStore) writes() (outcomes, audits int) {
	m := c.calls
	return m["RecordFailure"] + m["RecordLoginFailure"] + m["CommitSuccess"], m["AppendAudit"]
}

func (c *countingStore) Tokens(ctx context.Context, user string) ([]store.Token, error) {
	c.calls["Tokens"]++
	return c.Store.Tokens(ctx, user)
}

func (c *countingStore) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	c.calls["AppendAudit"]++
	return c.Store.AppendAudit(ctx, e)
}

func (c *countingStore) RecordLoginFailure(ctx context.Context, subject string, now time.Time, l store.LoginLimit, e *store.AuditEvent) (store.Failure, error) {
	c.calls["RecordLoginFailure"]++
	if e == nil {
		c.calls["RecordLoginFailure without an event"]++
	}
	return c.Store.RecordLoginFailure(ctx, subject, now, l, e)
}

func (c *countingStore) CommitSuccess(ctx context.Context, s store.Success) (store.Commit, error) {
	c.calls["CommitSuccess"]++
	return c.Store.CommitSuccess(ctx, s)
}

func (c *countingStore) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	c.calls["RecordFailure"]++
	return c.Store.RecordFailure(ctx, a)
}

// TestUnknownUserSameWork: refusing a name that holds no token takes the
// store calls that refusing a wrong code of a real user takes: one read of
// the tokens and one write of an outcome with its event, and the name's
// failure is counted (issue 12 item 9). A code of a form no token takes
// costs an audit event alone, for both.
func TestUnknownUserSameWork(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcKey})
	f.enroll(enroll.Spec{User: "dora", Type: store.TOTP, Secret: rfcKey})
	f.setEnabled(f.tokensOf("dora")[0].ID, false)
	for _, code := range []string{"000000", "12345"} {
		var want map[string]int
		for _, user := range []string{"alice", "mallory", "dora"} {
			c := newCounting(f.st)
			eng := engine.New(c, f.box, f.pol, f.clock.Now)
			if _, err := eng.Verify(f.ctx, engine.Request{User: user, Code: code, Actor: "test"}); err != nil {
				t.Fatalf("Verify(%s, %q): %v", user, code, err)
			}
			outcomes, audits := c.writes()
			got := map[string]int{"Tokens": c.calls["Tokens"], "outcomes": outcomes, "audits": audits}
			if want == nil {
				want = got
				continue
			}
			if !sameCounts(got, want) {
				t.Errorf("Verify(%s, %q) made store calls %v; alice's wrong code made %v", user, code, got, want)
			}
		}
	}
	if n, err := f.st.LoginFailure(f.ctx, store.NameSubject("mallory"), f.clock.Now()); err != nil || n.Failures != 1 {
		t.Errorf("failures of the name mallory = %+v, %v; want 1 (the six-digit code)", n, err)
	}
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestDeny: a denied request is refused even with the right code, which
// stays unused; the failure counts toward the token's lockout, so that
// wrong passwords lock it too.
func TestDeny(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 3 // the 3rd failure locks
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	for i := 1; i <= 2; i++ {
		res, err := f.eng.Verify(f.ctx, engine.Request{User: "alice", Code: hotp(0, 6), Actor: "test", Deny: "wrong password"})
		if err != nil || res.OK || res.Reason != "wrong password" {
			t.Fatalf("denied Verify %d = %+v, %v; want refused, wrong password", i, res, err)
		}
		if got := f.token(tok.ID); got.Failures != i || got.Next != 0 {
			t.Fatalf("after denial %d: Failures %d, Next %d; want %d, 0", i, got.Failures, got.Next, i)
		}
	}
	if res := f.verify("alice", hotp(0, 6)); !res.OK {
		t.Errorf("the right code after two denials = %+v; want accepted (not locked yet, not used)", res)
	}
	for range 3 {
		f.eng.Verify(f.ctx, engine.Request{User: "alice", Code: hotp(1, 6), Actor: "test", Deny: "wrong password"})
	}
	if !f.locked(tok.ID) {
		t.Error("three wrong passwords past a success did not lock the token")
	}
	res, _ := f.eng.Verify(f.ctx, engine.Request{User: "alice", Code: hotp(1, 6), Actor: "test", Deny: "wrong password"})
	if res.Reason != engine.ReasonLocked {
		t.Errorf("denied Verify on a locked token: reason %q; want %q", res.Reason, engine.ReasonLocked)
	}
	es, err := f.st.Audit(f.ctx, store.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 || es[0].Action != "login" {
		t.Errorf("audit of a denial = %+v, %v; want action login (the password was refused, not the code)", es, err)
	}
}

// TestRefuse: a wrong password with no code counts a failure on every
// enabled token, or on the name of a user without one.
func TestRefuse(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	a := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	b := f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcKey})
	c := f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcKey})
	f.setEnabled(c.ID, false)
	for _, user := range []string{"alice", "mallory"} {
		res, err := f.eng.Refuse(f.ctx, engine.Request{User: user, Actor: "test", Deny: "wrong password"})
		if err != nil || res.OK || !strings.HasPrefix(res.Reason, "wrong password") {
			t.Errorf("Refuse(%s) = %+v, %v; want refused, wrong password", user, res, err)
		}
	}
	for id, want := range map[string]int{a.ID: 1, b.ID: 1, c.ID: 0} {
		if got := f.token(id).Failures; got != want {
			t.Errorf("token %s: Failures %d; want %d", id, got, want)
		}
	}
	if n, _ := f.st.LoginFailure(f.ctx, store.NameSubject("mallory"), f.clock.Now()); n.Failures != 1 {
		t.Errorf("failures of the name mallory = %d; want 1", n.Failures)
	}
	if _, err := f.eng.Refuse(f.ctx, engine.Request{User: "alice"}); err == nil {
		t.Error("Refuse without a reason = nil error")
	}
}

func (f *fixture) tokensOf(user string) []store.Token {
	f.t.Helper()
	toks, err := f.st.Tokens(f.ctx, user)
	if err != nil {
		f.t.Fatal(err)
	}
	return toks
}
