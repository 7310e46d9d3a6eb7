// Package testpeer finds the real programs that otpgate's tests drive as
// peers (oathtool, stoken, openvpn, radclient, ...). A missing peer fails the
// test: `make test` installs every one of them, so a missing program means a
// broken set-up, never a reason to skip.
package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of each named program, failing t if one is missing.
func Need(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Fatalf("peer %q not found on PATH: run `make test`, which installs the test peers (scripts/install-test-deps.sh)", n)
		}
		paths[i] = p
	}
	return paths
}

// DebianPython is the interpreter Debian's python3-* packages install into.
// A python3 earlier on PATH (pyenv, a virtualenv) does not see them.
const DebianPython = "/usr/bin/python3"

// Python returns Debian's python3, failing t unless it can import each
// module.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	if _, err := os.Stat(DebianPython); err != nil {
		t.Fatalf("%s not found: run `make test`, which installs the test peers", DebianPython)
	}
	for _, m := range modules {
		if out, err := exec.Command(DebianPython, "-c", "import "+m).CombinedOutput(); err != nil {
			t.Fatalf("python3 module %q not importable (%v: %s): run `make test`, which installs the test peers", m, err, out)
		}
	}
	return DebianPython
}
