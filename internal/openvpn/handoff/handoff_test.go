package handoff

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/store"
)

// recorder is a login service that answers what it is told and keeps what
// it was asked.
type recorder struct {
	resp   auth.Response
	err    error
	asked  []auth.Request
	active bool
}

func (r *recorder) Authenticate(_ context.Context, req auth.Request) (auth.Response, error) {
	r.asked = append(r.asked, req)
	return r.resp, r.err
}

func (r *recorder) Active(context.Context, string) (bool, error) { return r.active, r.err }

func sameString(a, b string) bool { return a == b }

// serve starts a Server for svc with params p on a socket in a new
// directory and returns the socket's path.
func serve(t *testing.T, svc Service, p Params) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hook.sock")
	ln, err := Listen(path, "")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Service: svc, Params: func() Params { return p }, SameDB: sameString, Log: slog.New(slog.DiscardHandler)}
	done := make(chan error)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

func TestRoundTrip(t *testing.T) {
	ch := &auth.PendingChallenge{ID: "c1d2", Prompt: "code?", Echo: true, Expires: time.Unix(1700000000, 5)}
	for _, resp := range []auth.Response{
		{Outcome: auth.Accept, User: "alice", Reason: "right code"},
		{Outcome: auth.Reject, Reason: "wrong code"},
		{Outcome: auth.ChallengeIssued, User: "bob", Challenge: ch},
		{Outcome: auth.ChallengeIssued, User: "bob", Challenge: &auth.PendingChallenge{ID: "x"}},
	} {
		rec := &recorder{resp: resp, active: true}
		p := Params{DB: "/var/lib/otpgate/otpgate.db"}
		c, err := Dial(context.Background(), serve(t, rec, p), p)
		if err != nil {
			t.Fatal(err)
		}
		req := auth.Request{User: "älice", Password: "pw\x00+1", Code: "123456", ChallengeID: "id", Style: auth.Appended,
			Frontend: store.ActorRADIUS, Source: "192.0.2.1:1194", Client: "192.0.2.1"}
		got, err := c.Authenticate(context.Background(), req)
		if err != nil || !reflect.DeepEqual(got, resp) {
			t.Errorf("Authenticate = %+v, %v; want %+v", got, err, resp)
		}
		req.Frontend = store.ActorOpenVPN // a hook's login is OpenVPN's, whatever it says
		if len(rec.asked) != 1 || rec.asked[0] != req {
			t.Errorf("the service was asked %+v; want %+v", rec.asked, req)
		}
		if ok, err := c.Active(context.Background(), "alice"); !ok || err != nil {
			t.Errorf("Active = %v, %v; want true", ok, err)
		}
		c.Close()
	}
}

// A service error reaches the hook as an error, which refuses the login.
func TestServiceError(t *testing.T) {
	rec := &recorder{err: errors.New("store: disk I/O error")}
	path := serve(t, rec, Params{})
	c, err := Dial(context.Background(), path, Params{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Authenticate(context.Background(), auth.Request{User: "alice"}); err == nil {
		t.Error("Authenticate through a failing service: no error")
	}
	if _, err := c.Active(context.Background(), "alice"); err == nil {
		t.Error("Active through a failing service: no error")
	}
}

// Another store or other settings: the daemon declines, and the hook opens
// the store itself. The defaults are the login service's.
func TestMismatch(t *testing.T) {
	daemon := Params{DB: "/a.db", Primary: "htpasswd:/etc/users", ChallengeTTL: auth.DefaultChallengeTTL}
	for _, tt := range []struct {
		hook Params
		ok   bool
	}{
		{Params{DB: "/a.db", Primary: "htpasswd:/etc/users", Prompt: auth.DefaultPrompt}, true},
		{Params{DB: "/b.db", Primary: "htpasswd:/etc/users"}, false},
		{Params{DB: "/a.db"}, false},
		{Params{DB: "/a.db", Primary: "htpasswd:/etc/users", ChallengeTTL: time.Minute}, false},
		{Params{DB: "/a.db", Primary: "htpasswd:/etc/users", Prompt: "code:"}, false},
	} {
		c, err := Dial(context.Background(), serve(t, &recorder{}, daemon), tt.hook)
		switch {
		case tt.ok && err != nil, !tt.ok && !errors.Is(err, ErrMismatch):
			t.Errorf("Dial with %+v: %v; want ok %v", tt.hook, err, tt.ok)
		}
		if c != nil {
			c.Close()
		}
	}
}

// No daemon: no socket, or a socket nobody listens on (a daemon killed).
func TestNoDaemon(t *testing.T) {
	dir := t.TempDir()
	if _, err := Dial(context.Background(), filepath.Join(dir, "absent.sock"), Params{}); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Dial to no socket: %v; want ErrNoDaemon", err)
	}
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(context.Background(), stale, Params{}); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Dial to a dead daemon's socket: %v; want ErrNoDaemon", err)
	}
	// A daemon starting finds the stale socket and takes its place.
	ln, err = Listen(stale, "")
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()
}

// A daemon that breaks the protocol is not "no daemon": the hook refuses.
func TestBrokenDaemonFailsClosed(t *testing.T) {
	for name, reply := range map[string][]byte{
		"garbage":   []byte("HTTP/1.1 200 OK\r\n\r\n"),
		"hang up":   nil,
		"too big":   {0xff, 0xff, 0xff, 0xff},
		"wrong ack": {0, 0, 0, 1, kindIsActive},
	} {
		path := filepath.Join(t.TempDir(), "hook.sock")
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			read(c)
			c.Write(reply)
			c.Close()
		}()
		_, err = Dial(context.Background(), path, Params{})
		if err == nil || errors.Is(err, ErrNoDaemon) || errors.Is(err, ErrMismatch) {
			t.Errorf("%s: Dial = %v; want an error that refuses the login", name, err)
		}
		ln.Close()
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hook.sock")
	ln, err := Listen(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode: %v, %v; want 0660", fi, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := Listen(path, ""); err == nil {
		t.Error("Listen over a live daemon's socket: no error")
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Listen(file, ""); err == nil {
		t.Error("Listen over a regular file: no error")
	}
	if _, err := Listen(filepath.Join(dir, "g.sock"), "no-such-group-otpgate"); err == nil {
		t.Error("Listen with an unknown group: no error")
	}
}

// A frame that announces more than it holds, or more than MaxFrame, is
// refused before it is buffered.
func TestReadLimits(t *testing.T) {
	for _, b := range [][]byte{{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, 5, kindOK}, {0, 0, 0, 2, kindOK, 0}} {
		if _, err := read(bytesReader(b)); err == nil {
			t.Errorf("read(%x): no error", b)
		}
	}
}

func bytesReader(b []byte) io.Reader { return &sliceReader{b} }

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
