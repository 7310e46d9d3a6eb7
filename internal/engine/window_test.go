package engine_test

import (
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// attempt is one step of a table test: a code, where the clock is, and what
// the engine must answer.
type attempt struct {
	code     string
	ok       bool
	reason   string // wanted Reason prefix on refusal
	wantNext int64  // the token's Next afterwards; -1 to skip
}

func runAttempts(t *testing.T, f *fixture, user, id string, steps []attempt) {
	t.Helper()
	for i, a := range steps {
		res := f.verify(user, a.code)
		if res.OK != a.ok || !hasPrefix(res.Reason, a.reason) {
			t.Errorf("step %d: Verify(%q, %q) = %+v; want OK %v, reason %q", i, user, a.code, res, a.ok, a.reason)
		}
		if a.ok && res.TokenID != id {
			t.Errorf("step %d: Verify(%q, %q).TokenID = %q; want %q", i, user, a.code, res.TokenID, id)
		}
		if a.wantNext >= 0 {
			if got := f.token(id).Next; got != a.wantNext {
				t.Errorf("step %d: after Verify(%q), Next = %d; want %d", i, a.code, got, a.wantNext)
			}
		}
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func TestHOTPWindow(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures = 100
	f := newFixture(t, pol)
	tok := f.enroll(enroll.Spec{User: "alice", Type: store.HOTP, Secret: rfcKey})
	runAttempts(t, f, "alice", tok.ID, []attempt{
		{hotp(10, 6), false, engine.ReasonWrongCode, 0}, // 11th code: outside the window of 10
		{hotp(9, 6), true, "", 10},                      // 10th code: last in the window
		{hotp(9, 6), false, engine.ReasonReplay, 10},    // the same code again
		{hotp(5, 6), false, engine.ReasonReplay, 10},    // an older code
		{hotp(20, 6), false, engine.ReasonWrongCode, 10},
		{hotp(10, 6), true, "", 11}, // the next one
		{hotp(21, 6), false, engine.ReasonWrongCode, 11},
		{hotp(20, 6), true, "", 21}, // next 10 after 10: 11..20
		{"12345", false, engine.ReasonNoFit, 21},
		{"12345a", false, engine.ReasonNoFit, 21},
		{"", false, engine.ReasonNoFit, 21},
	})
}

func TestHOTP8DigitsAndInitialCounter(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	p := otp.DefaultParams()
	p.Digits = 8
	tok := f.enroll(enroll.Spec{User: "bob", Type: store.HOTP, Secret: rfcKey, Params: p, Counter: 1000})
	runAttempts(t, f, "bob", tok.ID, []attempt{
		{hotp(999, 8), false, engine.ReasonReplay, 1000},
		{hotp(1000, 6), false, engine.ReasonNoFit, 1000},
		{hotp(1000, 8), true, "", 1001},
	})
}

// Counters 153567 and 153569 of the RFC seed both give 468457: the engine
// must record the higher one, or the code would be accepted twice.
func TestHOTPCodeMatchingTwoCounters(t *testing.T) {
	if hotp(153567, 6) != "468457" || hotp(153569, 6) != "468457" {
		t.Fatal("collision vector does not hold")
	}
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "carol", Type: store.HOTP, Secret: rfcKey, Counter: 153564})
	runAttempts(t, f, "carol", tok.ID, []attempt{
		{"468457", true, "", 153570},
		{"468457", false, engine.ReasonReplay, 153570},
	})
}

func TestTOTPWindow(t *testing.T) {
	for _, back := range []int{1, 5} {
		pol := engine.DefaultPolicy()
		pol.TOTPBack, pol.TOTPForward = back, back // 1/1 (RFC 6238) and the seed's 5/5
		pol.MaxFailures = 100
		f := newFixture(t, pol)
		tok := f.enroll(enroll.Spec{User: "dave", Type: store.TOTP, Secret: rfcKey})
		p := otp.DefaultParams()
		b := uint64(back)
		code := func(s uint64) string { return totpAt(rfcKey, s, p) }
		runAttempts(t, f, "dave", tok.ID, []attempt{
			{code(step0 - b - 1), false, engine.ReasonWrongCode, 0},
			{code(step0 + b + 1), false, engine.ReasonWrongCode, 0},
			{code(step0 - b), true, "", int64(step0 - b + 1)},
			{code(step0 - b), false, engine.ReasonReplay, int64(step0 - b + 1)},
			{code(step0), true, "", int64(step0 + 1)},
			{code(step0 - 1), false, engine.ReasonReplay, int64(step0 + 1)}, // below the last accepted
			{code(step0), false, engine.ReasonReplay, int64(step0 + 1)},
			{code(step0 + b), true, "", int64(step0 + b + 1)},
			{code(step0 + 1), false, engine.ReasonReplay, int64(step0 + b + 1)}, // at or below the last accepted
		})
	}
}

// TestTOTPEdges checks the window at the first and last second of a step.
func TestTOTPEdges(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "erin", Type: store.TOTP, Secret: rfcKey})
	p := otp.DefaultParams()
	f.clock.Set(t0.Add(29 * time.Second)) // still step0
	runAttempts(t, f, "erin", tok.ID, []attempt{{totpAt(rfcKey, step0+2, p), false, engine.ReasonWrongCode, 0}})
	f.clock.Set(t0.Add(30 * time.Second)) // step0+1
	runAttempts(t, f, "erin", tok.ID, []attempt{
		{totpAt(rfcKey, step0-1, p), false, engine.ReasonWrongCode, 0},
		{totpAt(rfcKey, step0+2, p), true, "", int64(step0 + 3)},
	})
}

// Steps 153567 and 153569 of the RFC seed (period 30 s) both give 468457;
// at step 153568 both are in the window.
func TestTOTPCodeMatchingTwoSteps(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	tok := f.enroll(enroll.Spec{User: "frank", Type: store.TOTP, Secret: rfcKey})
	f.clock.Set(time.Unix(153568*30, 0))
	runAttempts(t, f, "frank", tok.ID, []attempt{
		{"468457", true, "", 153570},
		{"468457", false, engine.ReasonReplay, 153570},
	})
	f.clock.Add(30 * time.Second) // step 153569, still in the window
	runAttempts(t, f, "frank", tok.ID, []attempt{{"468457", false, engine.ReasonReplay, 153570}})
}

func TestTOTPAlgorithmsAndPeriods(t *testing.T) {
	keys := map[otp.Algorithm][]byte{
		otp.SHA1:   rfcKey,
		otp.SHA256: []byte("12345678901234567890123456789012"),
		otp.SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	f := newFixture(t, engine.DefaultPolicy())
	for alg, key := range keys {
		for _, digits := range []int{6, 8} {
			for _, period := range []time.Duration{30 * time.Second, 60 * time.Second, 17 * time.Second} {
				p := otp.Params{Algorithm: alg, Digits: digits, Period: period}
				user := alg.String() + "-" + period.String() + "-" + string(rune('0'+digits))
				tok := f.enroll(enroll.Spec{User: user, Type: store.TOTP, Secret: key, Params: p})
				s := p.Step(f.clock.Now())
				runAttempts(t, f, user, tok.ID, []attempt{{totpAt(key, s, p), true, "", int64(s + 1)}})
			}
		}
	}
}
