package radius

import (
	"testing"
	"time"
)

func TestHistogramCumulative(t *testing.T) {
	m := newMetrics()
	for _, d := range []time.Duration{100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, time.Minute} {
		m.observe(d)
	}
	h := m.histogram()
	want := map[time.Duration]uint64{500 * time.Microsecond: 1, time.Millisecond: 2, 2500 * time.Microsecond: 2, 5 * time.Millisecond: 3, 10 * time.Second: 3}
	for i, b := range h.Bounds {
		if w, ok := want[b]; ok && h.Counts[i] != w {
			t.Errorf("Counts[le=%v] = %d; want %d", b, h.Counts[i], w)
		}
	}
	if h.Count != 4 || h.Sum != time.Minute+4100*time.Microsecond {
		t.Errorf("Count, Sum = %d, %v; want 4, %v", h.Count, h.Sum, time.Minute+4100*time.Microsecond)
	}
}

func TestDropReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for r := DropMalformed; r < numDropReasons; r++ {
		name := r.String()
		if name == "" || name == "unknown" || seen[name] {
			t.Errorf("DropReason(%d).String() = %q; want a unique name", r, name)
		}
		seen[name] = true
	}
	if got := notDropped.String(); got != "unknown" {
		t.Errorf("notDropped.String() = %q; want \"unknown\"", got)
	}
}
