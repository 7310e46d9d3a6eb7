package engine_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// TestConcurrentSameCode: 64 goroutines submit the same valid code; exactly
// one is accepted, for every token type.
func TestConcurrentSameCode(t *testing.T) {
	f := newFixture(t, racePolicy())
	yk := newYubikey("vvcccccccccc")
	f.enroll(enroll.Spec{User: "hotp", Type: store.HOTP, Secret: rfcKey})
	f.enroll(enroll.Spec{User: "totp", Type: store.TOTP, Secret: rfcKey})
	f.enroll(enroll.Spec{User: "prefixed", Type: store.HOTPPrefixed, Secret: rfcKey, Identifier: "87654321"})
	f.enroll(yk.spec("yubico"))
	tests := []struct {
		user, code string
		any        bool // through VerifyAny
	}{
		{"hotp", hotp(3, 6), false},
		{"totp", totpAt(rfcKey, step0+1, otp.DefaultParams()), false},
		{"prefixed", "87654321" + hotp(2, 6), false},
		{"", "87654321" + hotp(5, 6), true},
		{"yubico", yk.otp(3, 1), false},
		{"", yk.otp(3, 2), true},
	}
	for _, tt := range tests {
		var ok atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 64 {
			wg.Go(func() {
				<-start
				req := engine.Request{User: tt.user, Code: tt.code, Source: "race"}
				verify := f.eng.Verify
				if tt.any {
					verify = f.eng.VerifyAny
				}
				res, err := verify(f.ctx, req)
				if err != nil {
					t.Errorf("Verify(%q): %v", tt.code, err)
				}
				if res.OK {
					ok.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := ok.Load(); n != 1 {
			t.Errorf("%d of 64 concurrent Verify(%s, same code) succeeded; want exactly 1", n, tt.user)
		}
	}
}

// racePolicy does not lock: the losers of each race count failures (replays
// do), and later rounds reuse the tokens.
func racePolicy() engine.Policy {
	p := engine.DefaultPolicy()
	p.MaxFailures = 1000
	return p
}

// Environment of a child process of TestProcessesSameCode.
const (
	childDB   = "OTPGATE_ENGINE_TEST_DB"
	childKey  = "OTPGATE_ENGINE_TEST_KEY"
	childCode = "OTPGATE_ENGINE_TEST_CODE"
	childGo   = "OTPGATE_ENGINE_TEST_GO"
)

// TestProcessesSameCode: 8 processes open one database file and submit the
// same valid code at once; exactly one is accepted.
func TestProcessesSameCode(t *testing.T) {
	f := newFixture(t, racePolicy())
	f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	goFile := filepath.Join(t.TempDir(), "go")
	for round, code := range []string{hotp(0, 6), hotp(4, 6), hotp(5, 6)} {
		os.Remove(goFile)
		outs := make([]*strings.Builder, 8)
		cmds := make([]*exec.Cmd, 8)
		for i := range cmds {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildVerify$", "-test.count=1")
			cmd.Env = append(os.Environ(), childDB+"="+f.path, childKey+"="+hex.EncodeToString(f.key),
				childCode+"="+code, childGo+"="+goFile)
			outs[i] = new(strings.Builder)
			cmd.Stdout, cmd.Stderr = outs[i], outs[i]
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds[i] = cmd
		}
		time.Sleep(200 * time.Millisecond) // let them open the store; correctness does not depend on it
		if err := os.WriteFile(goFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		accepted := 0
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child %d: %v\n%s", i, err, outs[i])
			}
			if strings.Contains(outs[i].String(), "RESULT ok") {
				accepted++
			} else if !strings.Contains(outs[i].String(), "RESULT refused") {
				t.Fatalf("child %d said:\n%s", i, outs[i])
			}
		}
		if accepted != 1 {
			t.Errorf("round %d: %d of 8 processes accepted the same code; want exactly 1", round, accepted)
		}
	}
}

// TestChildVerify is the child of TestProcessesSameCode; it does nothing in
// a normal run.
func TestChildVerify(t *testing.T) {
	path := os.Getenv(childDB)
	if path == "" {
		return
	}
	key, err := hex.DecodeString(os.Getenv(childKey))
	if err != nil {
		t.Fatal(err)
	}
	f := openFixture(t, path, key, racePolicy())
	for {
		if _, err := os.Stat(os.Getenv(childGo)); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	res := f.verify("alice", os.Getenv(childCode))
	if res.OK {
		fmt.Println("RESULT ok")
	} else {
		fmt.Println("RESULT refused:", res.Reason)
	}
}

// inflightStore counts, per token, the writes of an engine in flight at once.
type inflightStore struct {
	store.Store
	mu      sync.Mutex
	now     map[string]int
	maxSeen int
}

func (c *inflightStore) enter(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now[id]++
	c.maxSeen = max(c.maxSeen, c.now[id])
}

func (c *inflightStore) leave(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now[id]--
}

func (c *inflightStore) CommitSuccess(ctx context.Context, s store.Success) (store.Commit, error) {
	c.enter(s.TokenID)
	defer c.leave(s.TokenID)
	return c.Store.CommitSuccess(ctx, s)
}

func (c *inflightStore) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	c.enter(a.TokenID)
	defer c.leave(a.TokenID)
	return c.Store.RecordFailure(ctx, a)
}

// TestOneCheckAtATime: 200 concurrent codes for one token reach the store
// one at a time, each after reading what the one before it wrote, so that
// a burst is decided exactly as the same codes one after another: the right
// code at position p of a burst with MaxFailures 5 is accepted only if fewer
// than 5 of the codes checked before it were wrong (issue 12, item 1).
func TestOneCheckAtATime(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	cs := &inflightStore{Store: f.st, now: map[string]int{}}
	f.eng = engine.New(cs, f.box, f.pol, f.clock.Now)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	for _, pos := range []int{1, 3, 5, 6, 100, 200} {
		if err := f.eng.Unlock(f.ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		right := hotp(uint64(f.token(tok.ID).Next), 6)
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			accepts atomic.Int32
		)
		for i := range 200 {
			code := "000000"
			if i == pos-1 {
				code = right
			}
			wg.Go(func() {
				<-start
				if f.verify("alice", code).OK {
					accepts.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		before := 199 - f.token(tok.ID).Failures
		if accepts.Load() == 1 && before >= 5 {
			t.Errorf("right code at %d: accepted after %d failures; want refused after 5", pos, before)
		}
		if accepts.Load() == 0 && f.token(tok.ID).Failures != 200 {
			t.Errorf("right code at %d refused, yet %d failures counted of 200", pos, f.token(tok.ID).Failures)
		}
	}
	if cs.maxSeen != 1 {
		t.Errorf("up to %d writes for one token were in flight at once; want 1", cs.maxSeen)
	}
}
