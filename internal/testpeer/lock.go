package testpeer

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Lock holds an exclusive, machine-wide lock called name until t ends, for
// tests in different packages (go test runs packages in parallel
// processes) that share one system resource: the pcscd socket and the
// vpcd port, for example. It waits for the lock as long as it takes.
func Lock(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "otpgate-test-"+name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("testpeer: lock %s: %v", name, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("testpeer: lock %s: %v", name, err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}
