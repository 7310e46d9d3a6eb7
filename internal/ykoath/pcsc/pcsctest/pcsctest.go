// Package pcsctest puts the YKOATH simulator behind the real PC/SC stack
// for tests: Debian's pcscd with vsmartcard-vpcd's virtual reader, fed by
// package vpcd. Call [Start], then [Insert].
package pcsctest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath/vpcd"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// Reader is the first virtual reader of vsmartcard-vpcd, fed by
// vpcd.DefaultAddr.
const Reader = "Virtual PCD 00 00"

const (
	pcscdSocket  = "/run/pcscd/pcscd.comm"
	pcscdPID     = "/run/pcscd/pcscd.pid"
	vpcdDriver   = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	vpcdConf     = "/etc/reader.conf.d/vpcd"
	stepDeadline = 30 * time.Second
)

// Start makes sure a pcscd with the vpcd reader runs until t ends: it
// reuses a running one, or starts `pcscd -f` as a child that is stopped
// when the test ends. Stale files of a killed pcscd are removed first. The
// pcscd socket and the vpcd port are the machine's, so Start holds the
// machine-wide lock "pcsc" for the rest of the test.
func Start(t *testing.T) {
	t.Helper()
	testpeer.Need(t, "pcscd")
	testpeer.Lock(t, "pcsc")
	for _, f := range []string{vpcdDriver, vpcdConf} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s missing: install Debian's vsmartcard-vpcd (scripts/install-test-deps.sh)", f)
		}
	}
	if alive() {
		t.Logf("reusing the running pcscd (%s)", pcscdSocket)
		return
	}
	os.Remove(pcscdSocket)
	os.Remove(pcscdPID)
	waitPortFree(t)
	cmd := exec.Command("pcscd", "-f")
	var logs testpeer.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pcscd: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { stop(t, cmd, waited, &logs) })
	deadline := time.Now().Add(stepDeadline)
	for !alive() {
		select {
		case err := <-waited:
			t.Fatalf("pcscd exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pcscd did not open %s within %v", pcscdSocket, stepDeadline)
		}
	}
}

// stop ends pcscd with SIGTERM, on which it cleans /run/pcscd.
func stop(t *testing.T, cmd *exec.Cmd, waited <-chan error, logs *testpeer.Buffer) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-waited
	}
	if t.Failed() {
		t.Logf("pcscd output:\n%s", logs.String())
	}
}

// waitPortFree waits until nothing holds the vpcd port: a pcscd that a test
// of another package stopped a moment ago may not have let it go yet, and
// pcscd's vpcd driver then fails with "Address already in use" and shows no
// reader.
func waitPortFree(t *testing.T) {
	t.Helper()
	_, port, _ := net.SplitHostPort(vpcd.DefaultAddr)
	deadline := time.Now().Add(stepDeadline)
	for {
		l, err := net.Listen("tcp", ":"+port)
		if err == nil {
			l.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the vpcd port %s is still taken after %v: %v", port, stepDeadline, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func alive() bool {
	c, err := net.DialTimeout("unix", pcscdSocket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Insert connects sim to pcscd's vpcd port over loopback for the rest of
// the test (reconnecting if pcscd drops it) and waits until ready, which
// reads the applet through PC/SC the way the test will, succeeds.
func Insert(t *testing.T, sim *ykoathsim.Applet, ready func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := vpcd.Serve(ctx, vpcd.DefaultAddr, sim); err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	deadline := time.Now().Add(stepDeadline)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulated card did not appear in %q within %v: %v", Reader, stepDeadline, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
