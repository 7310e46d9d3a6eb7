//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/openvpn/mgmt"
)

// helperResult is how a client driven by mgmt.Client ended.
type helperResult struct {
	p         *proc
	connected bool
	err       error // from mgmt.Client.Run
}

// helperRun is a client driven by mgmt.Client.
type helperRun struct {
	p         *proc
	connected chan struct{}
	errc      chan error
}

// startHelper starts a client with mgmt.ClientFlags (plus extra options)
// and drives it with c.
func (l *lab) startHelper(name string, c *mgmt.Client, extra ...string) *helperRun {
	l.t.Helper()
	sock := l.path(name + ".sock")
	args := append(mgmt.ClientFlags(sock), extra...)
	p := l.start(name, l.topo.client, l.clientArgs(args...)...)
	conn, err := l.dialSocket(sock)
	if err != nil {
		l.t.Fatalf("client %s: %v; its log:\n%s", name, err, p.text())
	}
	f, err := os.Create(l.path(name + ".helper.log"))
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { f.Close() })
	c.Log = slog.New(slog.NewTextHandler(f, nil))
	r := &helperRun{p: p, connected: make(chan struct{}, 1), errc: make(chan error, 1)}
	c.OnConnected = func() {
		select {
		case r.connected <- struct{}{}:
		default:
		}
	}
	go func() { r.errc <- c.Run(l.ctx, conn) }()
	return r
}

// helperClient runs startHelper until the client connects, the helper gives
// up, or the lab's time runs out, and stops the client.
func (l *lab) helperClient(name string, c *mgmt.Client, extra ...string) helperResult {
	l.t.Helper()
	r := l.startHelper(name, c, extra...)
	res := helperResult{p: r.p}
	select {
	case <-r.connected:
		res.connected = true
	case res.err = <-r.errc:
		r.p.stop()
		return res
	case <-l.ctx.Done():
	}
	r.p.stop()
	res.err = <-r.errc
	return res
}

// dialSocket connects to a management socket as soon as OpenVPN made it.
func (l *lab) dialSocket(path string) (net.Conn, error) {
	for {
		conn, err := mgmt.Dial(l.ctx, path)
		if err == nil {
			return conn, nil
		}
		select {
		case <-l.ctx.Done():
			return nil, fmt.Errorf("no management socket %s: %w", path, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wantHelperConnected checks that the helper brought the client up.
func (l *lab) wantHelperConnected(r helperResult) {
	l.t.Helper()
	if !r.connected || !strings.Contains(r.p.text(), connectedLine) {
		l.t.Errorf("client %s did not connect (helper: %v)", r.p.name, r.err)
	}
}

// wantHelperRefused checks that the server refused every code and the
// helper gave up without the client ever connecting.
func (l *lab) wantHelperRefused(r helperResult) {
	l.t.Helper()
	log := r.p.text()
	if r.connected || strings.Contains(log, connectedLine) || !strings.Contains(log, refusedLine) {
		l.t.Errorf("client %s was not refused (helper: %v)", r.p.name, r.err)
	}
	if !errors.Is(r.err, mgmt.ErrGaveUp) {
		l.t.Errorf("helper for %s returned %v; want ErrGaveUp", r.p.name, r.err)
	}
}

// codes returns a Code callback that answers with fn(attempt).
func codes(fn func(attempt int) string) func(context.Context, int) (string, error) {
	return func(_ context.Context, attempt int) (string, error) { return fn(attempt), nil }
}
