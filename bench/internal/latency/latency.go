// Package latency is what otpgate's load programs (bench/...) share to
// report latencies: quantiles by nearest rank, and milliseconds for
// machine-readable RESULT lines.
package latency

import (
	"slices"
	"time"
)

// Quantile returns the q-quantile (0 < q <= 1) of sorted by nearest rank,
// or 0 for no sample.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Summary sorts d and returns its median and 99th percentile.
func Summary(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return Quantile(d, 0.50), Quantile(d, 0.99)
}

// MS returns d in milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
