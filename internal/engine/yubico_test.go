package engine_test

import (
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/yubiotp"
)

func TestYubicoCounters(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 100
	f := newFixture(t, pol)
	yk := newYubikey("vvcccccccccc")
	tok := f.enroll(yk.spec("alice"))
	next := func(u uint16, s uint8) int64 { return int64(u)<<8 | int64(s) + 1 }
	runAttempts(t, f, "alice", tok.ID, []attempt{
		{yk.otp(5, 3), true, "", next(5, 3)},
		{yk.otp(5, 3), false, engine.ReasonReplay, next(5, 3)}, // the same OTP
		{yk.otp(5, 2), false, engine.ReasonReplay, next(5, 3)}, // lower session counter
		{yk.otp(4, 9), false, engine.ReasonReplay, next(5, 3)}, // lower usage, higher session
		{yk.otp(5, 4), true, "", next(5, 4)},                   // next press
		{yk.otp(6, 0), true, "", next(6, 0)},                   // next power-up
		{yk.otp(0x8006, 1), true, "", next(6, 1)},              // caps lock flag masked
		{yk.otp(0x8006, 1), false, engine.ReasonReplay, next(6, 1)},
		{yk.otp(5, 255), false, engine.ReasonReplay, next(6, 1)},
		{yk.otp(200, 0), true, "", next(200, 0)}, // a jump forward is fine: no window
	})
}

func TestYubicoWrongKeyAndPrivateID(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	yk := newYubikey("vvcccccccccc")
	tok := f.enroll(yk.spec("alice"))

	wrongID := *yk
	wrongID.privateID[0] ^= 1
	wrongKey := *yk
	wrongKey.key = append([]byte(nil), yk.key...)
	wrongKey.key[0] ^= 1
	otherPublic := *yk
	otherPublic.publicID = "vvcccccccccd"

	runAttempts(t, f, "alice", tok.ID, []attempt{
		{wrongID.otp(1, 0), false, engine.ReasonPrivateID, 0},
		{wrongKey.otp(1, 0), false, engine.ReasonCRC, 0},
		{otherPublic.otp(1, 0), false, engine.ReasonNoFit, 0}, // another key's OTP is not tried
		{yk.otp(1, 0)[:43], false, engine.ReasonNoFit, 0},
		{yk.otp(1, 0), true, "", 1<<8 + 1},
	})
	if got := f.token(tok.ID).Failures; got != 0 {
		t.Errorf("Failures after a success = %d", got)
	}
}

// An OTP with a bad CRC counts a failure and can lock the token.
func TestYubicoFailuresLock(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 2
	f := newFixture(t, pol)
	yk := newYubikey("vvcccccccccc")
	tok := f.enroll(yk.spec("alice"))
	bad := *yk
	bad.key = make([]byte, yubiotp.KeySize)
	f.verify("alice", bad.otp(1, 0))
	f.verify("alice", bad.otp(1, 1))
	if res := f.verify("alice", yk.otp(1, 2)); res.OK || res.Reason != engine.ReasonLocked {
		t.Errorf("Verify(right OTP) after two failures = %+v; want refused, locked", res)
	}
	if got := f.token(tok.ID); got.Type != store.Yubico || got.Next != 0 {
		t.Errorf("token after refusals: %+v", got)
	}
}
