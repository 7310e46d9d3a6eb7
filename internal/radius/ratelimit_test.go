package radius

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	b, err := newBucket(RateLimit{PerSecond: 2, Burst: 3}, RateLimit{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, true}, // the burst
		{0, false},
		{250 * time.Millisecond, false}, // half a token
		{500 * time.Millisecond, true},  // one token after 0.5 s at 2/s
		{500 * time.Millisecond, false},
		{-time.Hour, false},                                     // a clock stepping back adds nothing
		{time.Hour, true}, {time.Hour, true}, {time.Hour, true}, // refilled to the burst, not beyond
		{time.Hour, false},
	}
	for i, st := range steps {
		if got := b.allow(t0.Add(st.at)); got != st.want {
			t.Errorf("step %d: allow(t0%+v) = %v; want %v", i, st.at, got, st.want)
		}
	}
}

func TestBucketDefaultsAndNil(t *testing.T) {
	def := RateLimit{PerSecond: 7, Burst: 9}
	b, err := newBucket(RateLimit{}, def)
	if err != nil || b == nil || b.perSecond != 7 || b.burst != 9 {
		t.Fatalf("newBucket(zero, %+v) = %+v, %v; want the default", def, b, err)
	}
	var none *bucket
	if !none.allow(time.Now()) {
		t.Errorf("nil bucket refused; want it to allow everything")
	}
}
