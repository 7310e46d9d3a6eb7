package engine_test

import (
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
)

func (f *fixture) verifyReq(req engine.Request) engine.Result {
	f.t.Helper()
	req.Source, req.Actor = "test", "test"
	res, err := f.eng.Verify(f.ctx, req)
	if err != nil {
		f.t.Fatalf("Verify(%+v): %v", req.User, err)
	}
	return res
}

func (f *fixture) recoveryCodes(user string, n int) []string {
	f.t.Helper()
	codes, stored, err := recovery.Generate(user, n, recovery.DefaultDigits, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.SetRecoveryCodes(f.ctx, user, stored); err != nil {
		f.t.Fatal(err)
	}
	return codes
}

func TestRecoveryCode(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 2
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	codes := f.recoveryCodes("alice", 2)
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[0]}); res.OK {
		t.Error("a recovery code was accepted without Request.Recovery")
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[0], Recovery: true}); !res.OK || res.User != "alice" {
		t.Fatalf("recovery code refused: %+v", res)
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[0], Recovery: true}); res.OK {
		t.Error("a recovery code was accepted twice")
	}
	if res := f.verifyReq(engine.Request{User: "bob", Code: codes[1], Recovery: true}); res.OK {
		t.Error("alice's recovery code let bob in")
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[1], Recovery: true, Deny: "wrong password"}); res.OK {
		t.Error("a recovery code was accepted with a wrong password")
	}
	// Wrong recovery codes count toward the lockout like wrong codes, and a
	// locked user's recovery codes are refused too.
	before := f.token(tok.ID).Failures
	f.verifyReq(engine.Request{User: "alice", Code: "0000000000", Recovery: true})
	if got := f.token(tok.ID).Failures; got != before+1 {
		t.Errorf("a wrong recovery code made %d failures; want %d", got, before+1)
	}
	for range 3 {
		f.verifyReq(engine.Request{User: "alice", Code: "0000000000", Recovery: true})
	}
	if !f.locked(tok.ID) {
		t.Fatal("guessing recovery codes did not lock the token")
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[1], Recovery: true}); res.OK {
		t.Error("a recovery code was accepted while the user's token is locked")
	}
	if err := f.eng.Unlock(f.ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: codes[1], Recovery: true}); !res.OK {
		t.Errorf("the second recovery code after an unlock: %+v", res)
	}
}

func TestRecoveryNeedsAToken(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	if _, err := f.st.CreateUser(f.ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	codes := f.recoveryCodes("carol", 1)
	if res := f.verifyReq(engine.Request{User: "carol", Code: codes[0], Recovery: true}); res.OK {
		t.Error("a user without a token logged in with a recovery code")
	}
}

func TestTypesAndDeny(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	hotpTok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	y := newYubikey("cccccccccccb")
	f.enroll(y.spec("alice"))
	hw := []store.TokenType{store.Yubico, store.HOTPPrefixed}
	if res := f.verifyReq(engine.Request{User: "alice", Code: hotp(0, 6), Types: hw}); res.OK {
		t.Error("an HOTP code was accepted where only hardware tokens are allowed")
	}
	if got := f.token(hotpTok.ID).Failures; got != 0 {
		t.Errorf("a token of a type the rule excludes counted %d failures; want 0", got)
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: y.otp(1, 0), Types: hw}); !res.OK {
		t.Errorf("the YubiKey's OTP was refused: %+v", res)
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: hotp(0, 6), Deny: "denied by rule x"}); res.OK || res.Reason != "denied by rule x" {
		t.Errorf("Deny = %+v; want a refusal with its reason", res)
	}
	if res := f.verifyReq(engine.Request{User: "alice", Code: hotp(0, 6)}); !res.OK {
		t.Errorf("the HOTP code, denied before, was used up: %+v", res)
	}
}
