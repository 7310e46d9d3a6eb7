package otp

import "crypto/subtle"

// Verify checks code against every counter from lo to hi inclusive and
// returns the highest counter whose code matches.
//
// Every counter in the window is computed and compared in constant time, so
// the time taken does not reveal where, or whether, the code matched. The
// highest match is returned because a short code can match two counters of
// one window: recording the lower one would let the same code be accepted a
// second time at the higher one.
//
// A code of the wrong length never matches. hi < lo is an empty window.
func Verify(key []byte, code string, lo, hi uint64, p Params) (counter uint64, ok bool) {
	if len(code) != p.Digits || hi < lo {
		return 0, false
	}
	want := []byte(code)
	got := make([]byte, p.Digits)
	for c := lo; ; c++ {
		formatTo(got, truncate(key, c, p.Algorithm))
		if subtle.ConstantTimeCompare(got, want) == 1 {
			counter, ok = c, true
		}
		if c == hi {
			break
		}
	}
	return counter, ok
}

// Window returns the counters [lo, hi] reaching back steps before center and
// forward steps after it, without underflow: the TOTP verification window of
// RFC 6238 section 5.2. Callers raise lo above the last accepted step.
func Window(center uint64, back, forward uint64) (lo, hi uint64) {
	lo = 0
	if center > back {
		lo = center - back
	}
	return lo, center + forward
}
