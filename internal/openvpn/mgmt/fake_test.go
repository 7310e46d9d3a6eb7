package mgmt

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeOpenVPN is the OpenVPN end of a management connection, scripted by a
// test.
type fakeOpenVPN struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// pipe returns otpgate's end and the fake OpenVPN end of a connection.
func pipe(t *testing.T) (net.Conn, *fakeOpenVPN) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, &fakeOpenVPN{t: t, conn: b, r: bufio.NewReader(b)}
}

func (f *fakeOpenVPN) send(lines ...string) {
	f.t.Helper()
	f.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(f.conn, strings.Join(lines, "\r\n")+"\r\n"); err != nil {
		f.t.Fatalf("fake OpenVPN: send %q: %v", lines, err)
	}
}

// recv returns the next command line.
func (f *fakeOpenVPN) recv() string {
	f.t.Helper()
	f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := f.r.ReadString('\n')
	if err != nil {
		f.t.Fatalf("fake OpenVPN: read a command: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// expect reads a command and checks it.
func (f *fakeOpenVPN) expect(want string) {
	f.t.Helper()
	if got := f.recv(); got != want {
		f.t.Fatalf("command = %q; want %q", got, want)
	}
}

// expectPrefix reads a command, checks its start and returns it.
func (f *fakeOpenVPN) expectPrefix(prefix string) string {
	f.t.Helper()
	got := f.recv()
	if !strings.HasPrefix(got, prefix) {
		f.t.Fatalf("command = %q; want one starting %q", got, prefix)
	}
	return got
}
