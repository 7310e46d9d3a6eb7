package webtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// Site is a real store (SQLite), engine, login service and API keys, as the
// daemon wires them, for tests of the handlers.
type Site struct {
	Store   store.Store
	Box     *secretbox.Box
	Engine  *engine.Engine
	Service *auth.Service
	Keys    *apikey.Manager
	Policy  engine.Policy
}

// NewSite opens a site in t's temporary directory with pol.
func NewSite(t testing.TB, pol engine.Policy, primary auth.Config) *Site {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "otpgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(bytes.Repeat([]byte{3}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(st, box, pol, time.Now)
	return &Site{Store: st, Box: box, Engine: eng, Service: auth.New(primary, eng, st, time.Now),
		Keys: apikey.New(st, box, time.Now), Policy: pol}
}

// Admin returns the admin functions on the site, acting as actor from
// source.
func (s *Site) Admin(actor, source string) *admin.Admin {
	return admin.New(&site.Handle{Store: s.Store, Box: s.Box}, s.Policy, time.Now).As(store.Actor(actor), source)
}

// Enroll stores a token of spec and returns it.
func (s *Site) Enroll(t testing.TB, spec enroll.Spec) store.Token {
	t.Helper()
	tok, err := enroll.Enroll(context.Background(), s.Store, s.Box, spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Yubikey is a simulated YubiKey in Yubico OTP mode.
type Yubikey struct {
	PublicID  string
	Key       []byte
	PrivateID [yubiotp.PrivateIDSize]byte
}

// NewYubikey makes a key with random secrets and the public ID given.
func NewYubikey(publicID string) *Yubikey {
	y := &Yubikey{PublicID: publicID, Key: make([]byte, yubiotp.KeySize)}
	rand.Read(y.Key)
	rand.Read(y.PrivateID[:])
	return y
}

// Spec is the token of the key for user.
func (y *Yubikey) Spec(user string) enroll.Spec {
	return enroll.Spec{User: user, Type: store.Yubico, Secret: y.Key, PrivateID: y.PrivateID[:], Identifier: y.PublicID}
}

// OTP is what the key types at usage counter u and session counter s.
func (y *Yubikey) OTP(t testing.TB, u uint16, s uint8) string {
	t.Helper()
	p := yubiotp.Plaintext{PrivateID: y.PrivateID, Usage: u, Session: s, Timestamp: uint32(u)<<8 | uint32(s), Random: 0x5a5a}
	code, err := yubiotp.Generate(y.PublicID, p, y.Key)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Server is a web.Server over TLS with a certificate of its own CA.
type Server struct {
	*web.Server
	CA  *CA
	URL string
	Log *testpeer.Buffer // the server's log, text
}

// Serve starts h on a TLS listener on loopback and stops it at t's end;
// mod changes the configuration first.
func Serve(t testing.TB, h http.Handler, log *testpeer.Buffer, mod func(*web.Config)) *Server {
	t.Helper()
	ca := NewCA(t)
	_, certFile, keyFile := ca.Issue(t, t.TempDir())
	cfg := web.Config{Listen: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile, Logger: Logger(log)}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := web.New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	return &Server{Server: srv, CA: ca, URL: "https://" + srv.Addr().String(), Log: log}
}
