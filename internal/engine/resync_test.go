package engine_test

import (
	"errors"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

func TestResyncHOTP(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	if res := f.verify("alice", hotp(500, 6)); res.OK {
		t.Fatalf("Verify(counter 500) = OK before resync")
	}
	id, err := f.eng.Resync(f.ctx, engine.ResyncRequest{User: "alice", Code1: hotp(500, 6), Code2: hotp(501, 6)})
	if err != nil || id != tok.ID {
		t.Fatalf("Resync(500, 501) = %q, %v; want %q", id, err, tok.ID)
	}
	if got := f.token(tok.ID).Next; got != 502 {
		t.Errorf("Next after resync = %d; want 502", got)
	}
	runAttempts(t, f, "alice", tok.ID, []attempt{
		{hotp(501, 6), false, engine.ReasonReplay, 502},
		{hotp(502, 6), true, "", 503},
	})
	// The same codes again: below Next now.
	_, err = f.eng.Resync(f.ctx, engine.ResyncRequest{TokenID: tok.ID, Code1: hotp(500, 6), Code2: hotp(501, 6)})
	if !errors.Is(err, engine.ErrResyncNoMatch) {
		t.Errorf("Resync(used codes) = %v; want ErrResyncNoMatch", err)
	}
}

func TestResyncHOTPErrors(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.ResyncWindow = 100
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	yk := newYubikey("vvcccccccccc")
	y := f.enroll(yk.spec("bob"))
	tests := []struct {
		r    engine.ResyncRequest
		want error
	}{
		{engine.ResyncRequest{User: "alice", Code1: hotp(5, 6), Code2: hotp(7, 6)}, engine.ErrResyncNoMatch},     // not consecutive
		{engine.ResyncRequest{User: "alice", Code1: hotp(6, 6), Code2: hotp(5, 6)}, engine.ErrResyncNoMatch},     // wrong order
		{engine.ResyncRequest{User: "alice", Code1: hotp(100, 6), Code2: hotp(101, 6)}, engine.ErrResyncNoMatch}, // outside the window
		{engine.ResyncRequest{User: "bob", Code1: hotp(1, 6), Code2: hotp(2, 6)}, engine.ErrNoResyncToken},       // only a YubiKey
		{engine.ResyncRequest{TokenID: y.ID, Code1: hotp(1, 6), Code2: hotp(2, 6)}, engine.ErrNoResyncToken},
		{engine.ResyncRequest{User: "nobody", Code1: hotp(1, 6), Code2: hotp(2, 6)}, engine.ErrNoResyncToken},
		{engine.ResyncRequest{TokenID: "nope", Code1: hotp(1, 6), Code2: hotp(2, 6)}, store.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := f.eng.Resync(f.ctx, tt.r); !errors.Is(err, tt.want) {
			t.Errorf("Resync(%+v) = %v; want %v", tt.r, err, tt.want)
		}
	}
	if _, err := f.eng.Resync(f.ctx, engine.ResyncRequest{User: "bob", TokenID: tok.ID, Code1: hotp(1, 6), Code2: hotp(2, 6)}); err == nil {
		t.Errorf("Resync(alice's token as bob) = nil error")
	}
	if _, err := f.eng.Resync(f.ctx, engine.ResyncRequest{User: "alice", Code1: hotp(98, 6), Code2: hotp(99, 6)}); err != nil {
		t.Errorf("Resync(98, 99) at the window's edge = %v", err)
	}
}

// TestResyncTOTPDrift: a token whose clock runs 50 steps ahead is resynced,
// and the measured drift then applies to every verification.
func TestResyncTOTPDrift(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcKey})
	p := otp.DefaultParams()
	ahead := func(d int64) string { return totpAt(rfcKey, uint64(int64(p.Step(f.clock.Now()))+d), p) }
	if res := f.verify("alice", ahead(50)); res.OK {
		t.Fatal("code 50 steps ahead accepted before resync")
	}
	code1 := ahead(50)
	f.clock.Add(30 * time.Second) // the user waits for the next code
	code2 := ahead(50)
	if _, err := f.eng.Resync(f.ctx, engine.ResyncRequest{User: "alice", Code1: code1, Code2: code2}); err != nil {
		t.Fatalf("Resync: %v", err)
	}
	got := f.token(tok.ID)
	if got.Drift != 50 || got.Next != int64(step0)+52 {
		t.Errorf("after resync: Drift %d, Next %d; want 50, %d", got.Drift, got.Next, int64(step0)+52)
	}
	f.clock.Add(30 * time.Second)
	runAttempts(t, f, "alice", tok.ID, []attempt{
		{ahead(0), false, engine.ReasonWrongCode, -1}, // the clock's own step is outside the window now
		{ahead(50), true, "", int64(step0) + 53},
	})
	cur, err := f.eng.Current(f.ctx, tok.ID)
	if err != nil || cur != ahead(50) {
		t.Errorf("Current() = %q, %v; want the code at the drifted step", cur, err)
	}
}

func TestResyncTOTPBehind(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: rfcKey})
	p := otp.DefaultParams()
	if _, err := f.eng.Resync(f.ctx, engine.ResyncRequest{TokenID: tok.ID,
		Code1: totpAt(rfcKey, step0-301, p), Code2: totpAt(rfcKey, step0-300, p)}); err != nil {
		t.Fatalf("Resync: %v", err)
	}
	if got := f.token(tok.ID); got.Drift != -300 {
		t.Errorf("Drift = %d; want -300", got.Drift)
	}
	if res := f.verify("alice", totpAt(rfcKey, step0-299, p)); !res.OK {
		t.Errorf("Verify(code at drift -300, one step later) = %+v; want OK", res)
	}
}

func TestResyncPrefixed(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTPPrefixed, Secret: rfcKey, Identifier: "cccc12345678"})
	for _, r := range []engine.ResyncRequest{
		{User: "alice", Code1: "cccc12345678" + hotp(40, 6), Code2: "cccc12345678" + hotp(41, 6)},
		{User: "alice", Code1: hotp(60, 6), Code2: hotp(61, 6)},
	} {
		if _, err := f.eng.Resync(f.ctx, r); err != nil {
			t.Errorf("Resync(%+v) = %v", r, err)
		}
	}
	if got := f.token(tok.ID).Next; got != 62 {
		t.Errorf("Next = %d; want 62", got)
	}
}

func TestCurrent(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	h := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey, Counter: 7})
	pr := f.enroll(enroll.Spec{User: "bob", Type: store.HOTPPrefixed, Secret: rfcKey, Identifier: "1234"})
	tt := f.enroll(enroll.Spec{User: "carol", Type: store.TOTP, Secret: rfcKey})
	y := f.enroll(newYubikey("vvcccccccccc").spec("dave"))
	for _, c := range []struct{ id, want string }{
		{h.ID, hotp(7, 6)},
		{pr.ID, "1234" + hotp(0, 6)},
		{tt.ID, totpAt(rfcKey, step0, otp.DefaultParams())},
	} {
		for range 2 { // Current does not consume the code
			if got, err := f.eng.Current(f.ctx, c.id); err != nil || got != c.want {
				t.Errorf("Current(%s) = %q, %v; want %q", c.id, got, err, c.want)
			}
		}
	}
	if res := f.verify("alice", hotp(7, 6)); !res.OK {
		t.Errorf("Verify(current HOTP code) = %+v; want OK", res)
	}
	if _, err := f.eng.Current(f.ctx, y.ID); !errors.Is(err, engine.ErrNoCurrentCode) {
		t.Errorf("Current(YubiKey) = %v; want ErrNoCurrentCode", err)
	}
	if _, err := f.eng.Current(f.ctx, "nope"); !isNotFound(err) {
		t.Errorf("Current(unknown) = %v; want ErrNotFound", err)
	}
}
