package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/ykoath/pcsc"
	"otpgate.dev/otpgate/internal/ykoath/vpcd"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// The first virtual reader of vsmartcard-vpcd, fed by vpcd.DefaultAddr.
const reader = "Virtual PCD 00 00"

const (
	pcscdSocket  = "/run/pcscd/pcscd.comm"
	pcscdPID     = "/run/pcscd/pcscd.pid"
	vpcdDriver   = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	vpcdConf     = "/etc/reader.conf.d/vpcd"
	stepDeadline = 30 * time.Second
)

// ensurePCSCD makes sure a pcscd with the vpcd reader runs: it reuses a
// running one, or starts `pcscd -f` as a child that is stopped when the
// test ends. Stale files of a killed pcscd are removed first.
func ensurePCSCD(t *testing.T) {
	t.Helper()
	testpeer.Need(t, "pcscd")
	// The pcscd socket and the vpcd port are the machine's: one package
	// at a time.
	testpeer.Lock(t, "pcsc")
	for _, f := range []string{vpcdDriver, vpcdConf} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s missing: install Debian's vsmartcard-vpcd (scripts/install-test-deps.sh)", f)
		}
	}
	if pcscdAlive() {
		t.Logf("reusing the running pcscd (%s)", pcscdSocket)
		return
	}
	os.Remove(pcscdSocket)
	os.Remove(pcscdPID)
	cmd := exec.Command("pcscd", "-f")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pcscd: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // pcscd cleans /run/pcscd on TERM
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
		if t.Failed() {
			t.Logf("pcscd output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(stepDeadline)
	for !pcscdAlive() {
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

func pcscdAlive() bool {
	c, err := net.DialTimeout("unix", pcscdSocket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// insertCard connects sim to pcscd's vpcd port over loopback for the rest
// of the test (reconnecting if pcscd drops it) and waits until the OATH
// applet answers through PC/SC.
func insertCard(t *testing.T, sim *ykoathsim.Applet) {
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
		c, err := pcsc.Open(reader)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulated card did not appear in %q within %v: %v", reader, stepDeadline, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// syncBuffer collects output written concurrently.
type syncBuffer = testpeer.Buffer

// ykman runs Debian's ykman 4.0.9 on the virtual reader with a private
// HOME (it remembers passwords in ~/.ykman) and a 30 s limit.
func ykman(t *testing.T, home string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ykman", append([]string{"--reader", reader}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), errors.Join(err, errors.New(stderr.String()))
	}
	return string(out), nil
}

func mustYkman(t *testing.T, home string, args ...string) string {
	t.Helper()
	out, err := ykman(t, home, args...)
	if err != nil {
		t.Fatalf("ykman %q: %v", args[:min(3, len(args))], err) // the rest may hold keys and passwords
	}
	return out
}
