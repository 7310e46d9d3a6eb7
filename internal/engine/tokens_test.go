package engine_test

import (
	"errors"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

func TestSeveralTokensPerUser(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	otherKey := []byte("abcdefghijabcdefghij")
	h := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	tt := f.enroll(enroll.Spec{User: "alice", Type: store.TOTP, Secret: otherKey})
	yk := newYubikey("vvccccccccbb")
	y := f.enroll(yk.spec("alice"))
	p := otp.DefaultParams()
	for _, c := range []struct{ code, id string }{
		{hotp(3, 6), h.ID},
		{totpAt(otherKey, step0, p), tt.ID},
		{yk.otp(1, 0), y.ID},
		{hotp(4, 6), h.ID},
	} {
		if res := f.verify("alice", c.code); !res.OK || res.TokenID != c.id {
			t.Errorf("Verify(alice, code of %s) = %+v; want OK by that token", c.id, res)
		}
	}
	// A wrong 6-digit code is tried on the two OATH tokens, not the YubiKey.
	f.verify("alice", "000000")
	for id, want := range map[string]int{h.ID: 1, tt.ID: 1, y.ID: 0} {
		if got := f.token(id).Failures; got != want {
			t.Errorf("token %s: Failures = %d; want %d", id, got, want)
		}
	}
	// A success on one token leaves the others' counts alone.
	f.verify("alice", hotp(5, 6))
	if got := f.token(tt.ID).Failures; got != 1 {
		t.Errorf("TOTP token Failures after the HOTP token's success = %d; want 1", got)
	}
}

// A locked token does not stop the user's other tokens.
func TestLockedTokenAndAnother(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 0
	f := newFixture(t, pol)
	h := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	yk := newYubikey("vvcccccccccd")
	f.enroll(yk.spec("alice"))
	f.verify("alice", "000000")
	if !f.locked(h.ID) {
		t.Fatal("HOTP token not locked")
	}
	if res := f.verify("alice", yk.otp(1, 0)); !res.OK {
		t.Errorf("Verify(YubiKey OTP) with the HOTP token locked = %+v; want OK", res)
	}
}

func TestPrefixedHOTP(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	p8 := otp.DefaultParams()
	p8.Digits = 8
	a := f.enroll(enroll.Spec{User: "alice", Type: store.HOTPPrefixed, Secret: rfcKey, Identifier: "12345678"})
	b := f.enroll(enroll.Spec{User: "bob", Type: store.HOTPPrefixed, Secret: rfcKey, Params: p8, Identifier: "ubhe00012345"})
	tests := []struct {
		user, code string
		ok         bool
		id, reason string
	}{
		{"alice", "12345678" + hotp(0, 6), true, a.ID, ""},
		{"alice", hotp(1, 6), false, "", engine.ReasonNoFit},                  // without the identifier
		{"alice", "12345679" + hotp(1, 6), false, "", engine.ReasonNoFit},     // another identifier
		{"alice", "12345678" + hotp(0, 6), false, "", engine.ReasonReplay},    // replay
		{"alice", "12345678" + "000000", false, "", engine.ReasonWrongCode},   // wrong code
		{"bob", "ubhe00012345" + hotp(0, 8), true, b.ID, ""},                  // 8 digits, YubiKey OATH identifier
		{"alice", "ubhe00012345" + hotp(1, 8), false, "", engine.ReasonNoFit}, // bob's token, alice's name
	}
	for _, tt := range tests {
		res := f.verify(tt.user, tt.code)
		if res.OK != tt.ok || res.TokenID != tt.id || !hasPrefix(res.Reason, tt.reason) {
			t.Errorf("Verify(%q, %q) = %+v; want OK %v, token %q, reason %q", tt.user, tt.code, res, tt.ok, tt.id, tt.reason)
		}
	}
}

func TestVerifyAny(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	p8 := otp.DefaultParams()
	p8.Digits = 8
	a := f.enroll(enroll.Spec{User: "alice", Type: store.HOTPPrefixed, Secret: rfcKey, Identifier: "12345678"})
	b := f.enroll(enroll.Spec{User: "bob", Type: store.HOTPPrefixed, Secret: rfcKey, Params: p8, Identifier: "ubhe00012345"})
	yk := newYubikey("vvbbbbbbbbbb")
	y := f.enroll(yk.spec("carol"))
	f.enroll(enroll.Spec{User: "dave", Type: store.HOTP, Secret: rfcKey})
	tests := []struct {
		code         string
		ok           bool
		user, id     string
		reason       string
		wantFailures map[string]int
	}{
		{"12345678" + hotp(0, 6), true, "alice", a.ID, "", nil},
		{"ubhe00012345" + hotp(0, 8), true, "bob", b.ID, "", nil},
		{yk.otp(1, 0), true, "carol", y.ID, "", nil},
		{strings.ToUpper(yk.otp(1, 1)), true, "carol", y.ID, "", nil},
		{"12345678" + "000000", false, "", "", engine.ReasonWrongCode, map[string]int{a.ID: 1}},
		{yk.otp(1, 0), false, "", "", engine.ReasonReplay, map[string]int{y.ID: 1}},
		{"ubhe00012345" + hotp(1, 6), false, "", "", engine.ReasonUnknownToken, map[string]int{b.ID: 0}}, // wrong digit count
		{hotp(0, 6), false, "", "", engine.ReasonUnknownToken, nil},                                      // dave's token has no identifier
		{"99999999" + hotp(1, 6), false, "", "", engine.ReasonUnknownToken, nil},
		{"", false, "", "", engine.ReasonUnknownToken, nil},
	}
	for _, tt := range tests {
		res := f.verifyAny(tt.code)
		if res.OK != tt.ok || res.User != tt.user || res.TokenID != tt.id || !hasPrefix(res.Reason, tt.reason) {
			t.Errorf("VerifyAny(%q) = %+v; want OK %v, user %q, token %q, reason %q", tt.code, res, tt.ok, tt.user, tt.id, tt.reason)
		}
		for id, n := range tt.wantFailures {
			if got := f.token(id).Failures; got != n {
				t.Errorf("after VerifyAny(%q), token %s Failures = %d; want %d", tt.code, id, got, n)
			}
		}
	}
	_, err := f.eng.VerifyAny(f.ctx, engine.Request{User: "alice", Code: "12345678" + hotp(1, 6)})
	if !errors.Is(err, engine.ErrUserGiven) {
		t.Errorf("VerifyAny with a user = %v; want ErrUserGiven", err)
	}
}
