//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Addresses exist only inside the two namespaces a test creates: the veth
// pair joins them and nothing is routed anywhere else.
const (
	serverAddr = "10.201.0.1"
	clientAddr = "10.201.0.2"
	vethPrefix = "/30"
	serverPort = "1194"
)

// topology is a server namespace and a client namespace joined by a veth
// pair.
type topology struct {
	server, client string // namespace names
}

// newTopology creates the namespaces and deletes them when t ends, after
// the processes inside are gone (t.Cleanup runs last-in first-out).
func newTopology(t *testing.T) *topology {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	id := fmt.Sprintf("%s%d-%s", nsPrefix, os.Getpid(), hex.EncodeToString(b))
	topo := &topology{server: id + "-s", client: id + "-c"}
	for _, ns := range []string{topo.server, topo.client} {
		mustRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { run("ip", "netns", "del", ns) })
	}
	mustRun(t, "ip", "-n", topo.server, "link", "add", "ve-srv", "type", "veth", "peer", "name", "ve-cli", "netns", topo.client)
	for _, c := range [][]string{
		{"-n", topo.server, "addr", "add", serverAddr + vethPrefix, "dev", "ve-srv"},
		{"-n", topo.server, "link", "set", "ve-srv", "up"},
		{"-n", topo.server, "link", "set", "lo", "up"},
		{"-n", topo.client, "addr", "add", clientAddr + vethPrefix, "dev", "ve-cli"},
		{"-n", topo.client, "link", "set", "ve-cli", "up"},
		{"-n", topo.client, "link", "set", "lo", "up"},
	} {
		mustRun(t, "ip", c...)
	}
	return topo
}

// nsPrefix starts the name of every namespace the tests create, followed by
// the test process id.
const nsPrefix = "otpgate-e2e-"

// sweepNamespaces deletes the namespaces of earlier test processes that
// died without cleaning up (a -timeout panic skips t.Cleanup); a running
// test process keeps its own.
func sweepNamespaces() {
	out, err := run("ip", "netns", "list")
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		name, _, _ := strings.Cut(line, " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			run("ip", "netns", "del", name)
		}
	}
}

func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := run(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return out
}
