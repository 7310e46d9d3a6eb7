package engine_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// t0 is the fixed instant tests start at: step 56666666 of a 30 s TOTP.
var t0 = time.Unix(1_699_999_980, 0).UTC()

// rfcKey is the RFC 4226 and RFC 6238 test seed.
var rfcKey = []byte("12345678901234567890")

// clock is a settable clock, safe for the concurrency tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// fixture is an engine over a real SQLite store in a temporary directory.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	path  string
	key   []byte // master key of box
	st    *sqlite.Store
	box   *secretbox.Box
	pol   engine.Policy
	clock *clock
	eng   *engine.Engine
}

func newFixture(t testing.TB, pol engine.Policy) *fixture {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return openFixture(t, filepath.Join(t.TempDir(), "otpgate.db"), key, pol)
}

func openFixture(t testing.TB, path string, key []byte, pol engine.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, path: path, key: key, st: st, box: box, pol: pol, clock: &clock{now: t0}}
	f.eng = engine.New(st, box, pol, f.clock.Now)
	return f
}

// enroll stores a token and returns it.
func (f *fixture) enroll(s enroll.Spec) store.Token {
	f.t.Helper()
	tok, err := enroll.Enroll(f.ctx, f.st, f.box, s, f.clock.Now())
	if err != nil {
		f.t.Fatalf("Enroll(%+v): %v", s, err)
	}
	return tok
}

func (f *fixture) verify(user, code string) engine.Result {
	f.t.Helper()
	res, err := f.eng.Verify(f.ctx, engine.Request{User: user, Code: code, Source: "test", Actor: "test"})
	if err != nil {
		f.t.Fatalf("Verify(%q, %q): %v", user, code, err)
	}
	return res
}

func (f *fixture) verifyAny(code string) engine.Result {
	f.t.Helper()
	res, err := f.eng.VerifyAny(f.ctx, engine.Request{Code: code, Source: "test", Actor: "test"})
	if err != nil {
		f.t.Fatalf("VerifyAny(%q): %v", code, err)
	}
	return res
}

func (f *fixture) token(id string) store.Token {
	f.t.Helper()
	tok, err := f.st.Token(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func (f *fixture) setEnabled(id string, on bool) {
	f.t.Helper()
	tok := f.token(id)
	tok.Enabled = on
	if err := f.st.UpdateToken(f.ctx, &tok); err != nil {
		f.t.Fatal(err)
	}
}

// hotp and totp are the codes of the RFC seed.
func hotp(c uint64, digits int) string {
	p := otp.DefaultParams()
	p.Digits = digits
	return otp.Generate(rfcKey, c, p)
}

func totpAt(key []byte, step uint64, p otp.Params) string { return otp.Generate(key, step, p) }

var step0 = otp.DefaultParams().Step(t0)

// yubikey simulates a YubiKey.
type yubikey struct {
	publicID  string
	key       []byte
	privateID [yubiotp.PrivateIDSize]byte
}

func newYubikey(publicID string) *yubikey {
	y := &yubikey{publicID: publicID, key: make([]byte, yubiotp.KeySize)}
	rand.Read(y.key)
	rand.Read(y.privateID[:])
	return y
}

func (y *yubikey) spec(user string) enroll.Spec {
	return enroll.Spec{User: user, Type: store.Yubico, Secret: y.key, PrivateID: y.privateID[:], Identifier: y.publicID}
}

// otp returns the OTP the key types at usage counter u and session counter s.
func (y *yubikey) otp(u uint16, s uint8) string {
	p := yubiotp.Plaintext{PrivateID: y.privateID, Usage: u, Session: s, Timestamp: uint32(u)<<8 | uint32(s), Random: 0x1234}
	code, err := yubiotp.Generate(y.publicID, p, y.key)
	if err != nil {
		panic(err)
	}
	return code
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func (f *fixture) locked(id string) bool {
	f.t.Helper()
	tok := f.token(id)
	return tok.Locked(f.clock.Now())
}
