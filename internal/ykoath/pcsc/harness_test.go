package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/ykoath/pcsc"
	"otpgate.dev/otpgate/internal/ykoath/pcsc/pcsctest"
	"otpgate.dev/otpgate/internal/ykoath/ykoathsim"
)

// reader is the simulator's PC/SC reader.
const reader = pcsctest.Reader

const stepDeadline = 30 * time.Second

// ensurePCSCD starts or reuses pcscd with the virtual reader.
func ensurePCSCD(t *testing.T) { pcsctest.Start(t) }

// insertCard serves sim on the virtual reader until the test ends and
// waits until Open finds its OATH applet.
func insertCard(t *testing.T, sim *ykoathsim.Applet) {
	t.Helper()
	pcsctest.Insert(t, sim, func() error {
		c, err := pcsc.Open(reader)
		if err == nil {
			c.Close()
		}
		return err
	})
}

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
