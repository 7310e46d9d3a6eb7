package testpeer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Netns is a network namespace a test created, with only its loopback up,
// removed when the test ends.
type Netns struct{ Name string }

// NewNetns creates a namespace named prefix-PID-RANDOM.
func NewNetns(t testing.TB, prefix string) Netns {
	t.Helper()
	Need(t, "ip")
	var b [3]byte
	rand.Read(b[:])
	ns := Netns{fmt.Sprintf("%s-%d-%s", prefix, os.Getpid(), hex.EncodeToString(b[:]))}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("testpeer: ip netns add %s: %v\n%s", ns.Name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.Name).Run() })
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("testpeer: ip -n %s link set lo up: %v\n%s", ns.Name, err, out)
	}
	return ns
}

// in runs fn on a thread that has entered the namespace: a socket fn
// makes stays in it.
func (ns Netns) in(fn func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // unlocked only if the thread gets back home
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		fn()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- nil
	}()
	return <-errc
}

// Dial connects to addr inside the namespace.
func (ns Netns) Dial(addr string, timeout time.Duration) (c net.Conn, err error) {
	if nerr := ns.in(func() { c, err = net.DialTimeout("tcp", addr, timeout) }); nerr != nil {
		return nil, nerr
	}
	return c, err
}

// Forward listens on 127.0.0.1 in the test's own namespace and relays every
// connection to addr inside ns, until t ends. It returns the listening
// address. The relay holds one connection each way per client connection,
// so a server inside counts connections exactly as it would without it.
func (ns Netns) Forward(t testing.TB, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveRelay(t, l, func() (net.Conn, error) { return ns.Dial(addr, 10*time.Second) })
}

// ForwardIn is Forward the other way round: it listens on 127.0.0.1 inside
// ns and relays every connection to addr in the test's own namespace, so
// that a program in ns reaches a server the test started outside it.
func (ns Netns) ForwardIn(t testing.TB, addr string) string {
	t.Helper()
	var l net.Listener
	var err error
	if nerr := ns.in(func() { l, err = net.Listen("tcp", "127.0.0.1:0") }); nerr != nil || err != nil {
		t.Fatalf("testpeer: listen in %s: %v", ns.Name, errors.Join(nerr, err))
	}
	return serveRelay(t, l, func() (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) })
}

// serveRelay relays each connection l accepts to a connection dial makes,
// until t ends, and returns l's address.
func serveRelay(t testing.TB, l net.Listener, dial func() (net.Conn, error)) string {
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { relay(c, dial) })
		}
	})
	return l.Addr().String()
}

func relay(c net.Conn, dial func() (net.Conn, error)) {
	defer c.Close()
	in, err := dial()
	if err != nil {
		return
	}
	defer in.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(in, c)
	go pipe(c, in)
	<-done // either side closing ends both: LDAP has no half-close
	c.Close()
	in.Close()
	<-done
}

// Exec returns a command that runs name inside the namespace.
func (ns Netns) Exec(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}
