package engine_test

import (
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
	bothPaths(t, racePolicy(), testConcurrentSameCode)
}

func testConcurrentSameCode(t *testing.T, f *fixture) {
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
