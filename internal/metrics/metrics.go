// Package metrics writes counters and histograms in the Prometheus text
// exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), which
// every Prometheus-compatible scraper reads. It is a few dozen lines instead
// of a client library because otpgate exports a handful of series.
//
// Use [NewCounterVec] and [NewHistogram] for values the daemon counts
// itself, and a [Writer] for values read from elsewhere at scrape time.
package metrics

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CounterVec is a counter with one label. Safe for concurrent use.
type CounterVec struct {
	Name, Help, Label string

	mu sync.Mutex
	m  map[string]*atomic.Uint64
}

// NewCounterVec returns a counter whose label values start at zero.
func NewCounterVec(name, help, label string, values ...string) *CounterVec {
	c := &CounterVec{Name: name, Help: help, Label: label, m: make(map[string]*atomic.Uint64)}
	for _, v := range values {
		c.m[v] = new(atomic.Uint64)
	}
	return c
}

// Inc adds one to the series with label value v.
func (c *CounterVec) Inc(v string) {
	c.mu.Lock()
	n, ok := c.m[v]
	if !ok {
		n = new(atomic.Uint64)
		c.m[v] = n
	}
	c.mu.Unlock()
	n.Add(1)
}

// Value returns the series with label value v.
func (c *CounterVec) Value(v string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.m[v]; ok {
		return n.Load()
	}
	return 0
}

// WriteTo writes the counter.
func (c *CounterVec) WriteTo(w *Writer) {
	c.mu.Lock()
	vals := make(map[string]uint64, len(c.m))
	for k, n := range c.m {
		vals[k] = n.Load()
	}
	c.mu.Unlock()
	w.Counter(c.Name, c.Help, c.Label, vals)
}

// Histogram counts durations into buckets. Safe for concurrent use.
type Histogram struct {
	Name, Help string

	bounds []time.Duration
	counts []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum    atomic.Int64    // nanoseconds
}

// NewHistogram returns a histogram with the given upper bounds, ascending.
func NewHistogram(name, help string, bounds []time.Duration) *Histogram {
	return &Histogram{Name: name, Help: help, bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	i, _ := slices.BinarySearch(h.bounds, d)
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// WriteTo writes the histogram.
func (h *Histogram) WriteTo(w *Writer) {
	cum := make([]uint64, len(h.bounds))
	var total uint64
	for i := range h.bounds {
		total += h.counts[i].Load()
		cum[i] = total
	}
	total += h.counts[len(h.bounds)].Load()
	w.Histogram(h.Name, h.Help, h.bounds, cum, total, time.Duration(h.sum.Load()))
}

// Writer writes metric families. The first write error sticks and later
// writes do nothing; Err returns it.
type Writer struct {
	w   io.Writer
	err error
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Err returns the first write error.
func (w *Writer) Err() error { return w.err }

func (w *Writer) printf(format string, args ...any) {
	if w.err == nil {
		_, w.err = fmt.Fprintf(w.w, format, args...)
	}
}

func (w *Writer) head(name, help, typ string) {
	w.printf("# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// Counter writes a counter family with one label, its series sorted by
// label value; an empty label writes one unlabelled series from vals[""].
func (w *Writer) Counter(name, help, label string, vals map[string]uint64) {
	w.family(name, help, "counter", label, vals)
}

// Gauge writes a gauge family like Counter.
func (w *Writer) Gauge(name, help, label string, vals map[string]uint64) {
	w.family(name, help, "gauge", label, vals)
}

// Label is one name="value" pair of an [Writer.Info] series.
type Label struct{ Name, Value string }

// Info writes a gauge of one series whose value is 1 and whose labels carry
// the information, the Prometheus convention for otpgate_build_info.
func (w *Writer) Info(name, help string, labels ...Label) {
	w.head(name, help, "gauge")
	pairs := make([]string, len(labels))
	for i, l := range labels {
		pairs[i] = fmt.Sprintf("%s=\"%s\"", l.Name, escapeLabel(l.Value))
	}
	w.printf("%s{%s} 1\n", name, strings.Join(pairs, ","))
}

func (w *Writer) family(name, help, typ, label string, vals map[string]uint64) {
	w.head(name, help, typ)
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		if label == "" {
			w.printf("%s %d\n", name, vals[k])
			continue
		}
		w.printf("%s{%s=\"%s\"} %d\n", name, label, escapeLabel(k), vals[k])
	}
}

// Histogram writes a histogram of durations in seconds; cum[i] counts the
// observations <= bounds[i], and count all of them.
func (w *Writer) Histogram(name, help string, bounds []time.Duration, cum []uint64, count uint64, sum time.Duration) {
	w.head(name, help, "histogram")
	for i, b := range bounds {
		w.printf("%s_bucket{le=\"%s\"} %d\n", name, seconds(b), cum[i])
	}
	w.printf("%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, count, name, seconds(sum), name, count)
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
