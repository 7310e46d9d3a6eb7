package engine_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// TestNeverAcceptedTwice runs random sequences of attempts at random times,
// with codes near each token's window (used, valid, too far ahead, and
// Yubico counters around the last accepted one), under random policies. It
// checks that every success raises the token's Next above the counter of the
// code submitted and above every counter accepted before it: so no counter
// or step is ever accepted twice.
func TestNeverAcceptedTwice(t *testing.T) {
	sequences, attempts := 12, 60
	if testing.Short() {
		sequences = 3
	}
	for seq := range sequences {
		r := rand.New(rand.NewPCG(uint64(seq), 0x0790a7e))
		runSequence(t, r, attempts)
	}
}

// propToken is one token of a sequence and how to make its codes.
type propToken struct {
	tok  store.Token
	user string
	// code returns a code near the token's state and the counter it was
	// made for.
	code func(r *rand.Rand, next int64, now time.Time) (string, int64)
}

func runSequence(t *testing.T, r *rand.Rand, attempts int) {
	pol := engine.DefaultPolicy()
	pol.HOTPWindow = 1 + r.IntN(12)
	pol.TOTPBack, pol.TOTPForward = r.IntN(3), r.IntN(3)
	pol.MaxFailures = 3 + r.IntN(10)
	pol.LockFor = time.Duration(r.IntN(3)) * time.Minute
	f := newFixture(t, pol)
	toks := propTokens(f, r)
	accepted := map[string]map[int64]bool{}
	successes := 0
	for i := range attempts {
		f.clock.Add(time.Duration(r.IntN(90)-15) * time.Second) // clocks step back too
		pt := toks[r.IntN(len(toks))]
		before := f.token(pt.tok.ID)
		code, counter := pt.code(r, before.Next, f.clock.Now())
		res := f.verify(pt.user, code)
		if !res.OK {
			continue
		}
		successes++
		after := f.token(res.TokenID)
		got := after.Next - 1 // the counter the engine accepted
		if res.TokenID == pt.tok.ID && got < counter {
			t.Fatalf("attempt %d: code for counter %d accepted, but Next is %d", i, counter, after.Next)
		}
		if accepted[res.TokenID] == nil {
			accepted[res.TokenID] = map[int64]bool{}
		}
		for c := range accepted[res.TokenID] {
			if c >= got {
				t.Fatalf("attempt %d: token %s accepted counter %d after counter %d (policy %+v)", i, res.TokenID, got, c, pol)
			}
		}
		accepted[res.TokenID][got] = true
		if pol.LockFor == 0 && r.IntN(4) == 0 {
			f.eng.Unlock(f.ctx, pt.tok.ID)
		}
	}
	if successes == 0 {
		t.Errorf("sequence with policy %+v: no success in %d attempts; the generator is too wide", pol, attempts)
	}
}

func propTokens(f *fixture, r *rand.Rand) []propToken {
	p := otp.DefaultParams()
	key := enroll.NewSecret(store.HOTP)
	yk := newYubikey("vvcccccccccc")
	return []propToken{
		{
			tok: f.enroll(enroll.Spec{User: "hotp", Type: store.HOTP, Secret: key}), user: "hotp",
			code: func(r *rand.Rand, next int64, _ time.Time) (string, int64) {
				c := max(0, next+int64(r.IntN(16))-4)
				return otp.Generate(key, uint64(c), p), c
			},
		},
		{
			tok: f.enroll(enroll.Spec{User: "totp", Type: store.TOTP, Secret: key}), user: "totp",
			code: func(r *rand.Rand, _ int64, now time.Time) (string, int64) {
				s := int64(p.Step(now)) + int64(r.IntN(7)) - 3
				return otp.Generate(key, uint64(s), p), s
			},
		},
		{
			tok: f.enroll(yk.spec("yubico")), user: "yubico",
			code: func(r *rand.Rand, next int64, _ time.Time) (string, int64) {
				c := max(0, next+int64(r.IntN(600))-300)
				return yk.otp(uint16(c>>8), uint8(c)), c
			},
		},
	}
}
