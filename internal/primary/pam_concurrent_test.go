package primary

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeScript writes an executable shell script for pam_exec. pam_exec runs
// it with the PAM_* variables and no PATH, hence the absolute paths.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// 32 logins at once through MaxConcurrent 2 all get their own answer, and
// no more than two transactions ever run: each leaves a file in dir while
// its pam_exec script runs, and the script records how many it sees.
func TestPAMConcurrent(t *testing.T) {
	user, password := localUser(t)
	dir := t.TempDir()
	count := writeScript(t, dir, "count.sh", fmt.Sprintf(`d=%s
: > "$d/in.$$"
set -- "$d"/in.*
echo $# >> "$d/counts"
/usr/bin/sleep 0.05
/usr/bin/rm -f "$d/in.$$"
`, dir))
	p := newTestPAM(t, "auth requisite pam_exec.so quiet "+count+"\n"+stackUnixNoDelay, 2)
	cases := []pamCase{
		{"right password", user, password, true},
		{"wrong password", user, "wrong", false},
		{"unknown user", "nosuch" + randHex(t, 4), password, false},
		{"hostile user", "$(id)", password, false},
	}
	var wg sync.WaitGroup
	for i := range 32 {
		c := cases[i%len(cases)]
		wg.Go(func() {
			got, err := p.Check(t.Context(), c.user, c.password)
			if got != c.want || err != nil {
				t.Errorf("login %d, %s: Check(%q) = %v, %v; want %v, nil", i, c.name, c.user, got, err, c.want)
			}
		})
	}
	wg.Wait()
	counts, err := os.ReadFile(filepath.Join(dir, "counts"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(counts))
	if len(lines) != 32 {
		t.Errorf("pam_exec ran %d times; want 32", len(lines))
	}
	for _, n := range lines {
		if n != "1" && n != "2" {
			t.Errorf("a transaction saw %s transactions in flight; want at most 2", n)
		}
	}
}

// blockingStack returns a stack whose pam_exec script blocks every user
// named "blocker..." until release is called, and marks dir/started.USER
// when it begins and dir/entered.USER for every user.
func blockingStack(t *testing.T) (stack, dir string, release func()) {
	dir = t.TempDir()
	script := writeScript(t, dir, "block.sh", fmt.Sprintf(`d=%s
: > "$d/entered.$PAM_USER"
case "$PAM_USER" in blocker*)
	: > "$d/started.$PAM_USER"
	while [ ! -e "$d/release" ]; do /usr/bin/sleep 0.02; done
esac
exit 0
`, dir))
	release = func() {
		if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
			t.Error(err)
		}
	}
	return "auth required pam_exec.so quiet " + script + "\n" + stackPermit, dir, release
}

// waitFile waits for path to appear.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(waitLong); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear", path)
}

// drain waits until every transaction of p has ended, so no pam_exec
// script outlives the test.
func drain(t *testing.T, p *PAM) {
	for range cap(p.sem) {
		select {
		case p.sem <- struct{}{}:
		case <-time.After(waitLong):
			t.Errorf("a PAM transaction is still running")
			return
		}
	}
}

type checkResult struct {
	ok  bool
	err error
}

func goCheck(ctx context.Context, p *PAM, user string) <-chan checkResult {
	ch := make(chan checkResult, 1)
	go func() {
		ok, err := p.Check(ctx, user, "pw")
		ch <- checkResult{ok, err}
	}()
	return ch
}

func receive(t *testing.T, what string, ch <-chan checkResult) checkResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLong):
		t.Fatalf("%s: Check did not return", what)
		return checkResult{}
	}
}

// A login stuck in PAM holds one slot and never its caller: a cancelled
// Check returns ctx.Err() while the module still runs, other logins pass
// through the free slot, and a full semaphore makes later logins wait
// without entering PAM, until a transaction ends.
func TestPAMCancel(t *testing.T) {
	stack, dir, release := blockingStack(t)
	p := newTestPAM(t, stack, 2)
	t.Cleanup(func() { release(); drain(t, p) })

	ctx1, cancel1 := context.WithCancel(t.Context())
	stuck1 := goCheck(ctx1, p, "blocker1")
	waitFile(t, filepath.Join(dir, "started.blocker1"))
	if r := receive(t, "free slot", goCheck(t.Context(), p, "alice")); !r.ok || r.err != nil {
		t.Errorf("Check(alice) beside a stuck login = %v, %v; want true, nil", r.ok, r.err)
	}
	cancel1()
	if r := receive(t, "cancelled", stuck1); r.ok || !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled Check(blocker1) = %v, %v; want false, context.Canceled", r.ok, r.err)
	}

	stuck2 := goCheck(t.Context(), p, "blocker2")
	waitFile(t, filepath.Join(dir, "started.blocker2"))
	ctx3, cancel3 := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel3()
	if r := receive(t, "full", goCheck(ctx3, p, "carol")); r.ok || !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("Check(carol) with both slots taken = %v, %v; want false, context.DeadlineExceeded", r.ok, r.err)
	}
	if _, err := os.Stat(filepath.Join(dir, "entered.carol")); err == nil {
		t.Errorf("Check(carol) entered PAM while both slots were taken")
	}

	release()
	if r := receive(t, "released", goCheck(t.Context(), p, "carol")); !r.ok || r.err != nil {
		t.Errorf("Check(carol) after release = %v, %v; want true, nil", r.ok, r.err)
	}
	if r := receive(t, "stuck2", stuck2); !r.ok || r.err != nil {
		t.Errorf("Check(blocker2) after release = %v, %v; want true, nil", r.ok, r.err)
	}
}

// PAM_RHOST reaches the modules (pam_exec exports it) as the host of the
// address WithRemoteHost was given, and is unset without it.
func TestPAMRemoteHost(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "rhost.sh", fmt.Sprintf("echo \"$PAM_USER=$PAM_RHOST\" >> %s/rhost\n", dir))
	p := newTestPAM(t, "auth required pam_exec.so quiet "+script+"\n"+stackPermit, 0)
	for _, c := range []struct{ user, addr string }{
		{"alice", "192.0.2.7:51820"}, {"bob", "2001:db8::1"}, {"carol", "[2001:db8::2]:1194"}, {"dave", ""},
	} {
		ctx := t.Context()
		if c.addr != "" {
			ctx = WithRemoteHost(ctx, c.addr)
		}
		if ok, err := p.Check(ctx, c.user, "pw"); !ok || err != nil {
			t.Fatalf("Check(%s) = %v, %v; want true, nil", c.user, ok, err)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, "rhost"))
	if want := "alice=192.0.2.7\nbob=2001:db8::1\ncarol=2001:db8::2\ndave=\n"; string(got) != want || err != nil {
		t.Errorf("PAM_RHOST seen by pam_exec = %q, %v; want %q", got, err, want)
	}
	convs.Lock()
	defer convs.Unlock()
	if len(convs.m) != 0 {
		t.Errorf("%d conversations left in the table after every Check returned", len(convs.m))
	}
}
