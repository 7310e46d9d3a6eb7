package latency

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p50, p99 := Summary(d)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("Summary(1..100 ms) = %v, %v; want 50ms, 99ms", p50, p99)
	}
	if got := Quantile(d, 1); got != 100*time.Millisecond {
		t.Errorf("Quantile(1) = %v; want the maximum", got)
	}
	if got := Quantile(nil, 0.5); got != 0 {
		t.Errorf("Quantile(nil) = %v; want 0", got)
	}
	if got := MS(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("MS(1.5ms) = %v", got)
	}
}
