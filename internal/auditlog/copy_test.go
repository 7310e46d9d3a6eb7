package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// trailStore is a trail in memory whose events may show up out of seq
// order, as PostgreSQL's do.
type trailStore struct {
	store.Store
	mu     sync.Mutex
	events []store.AuditEvent // sorted by Seq
}

func (s *trailStore) add(seqs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range seqs {
		s.events = append(s.events, store.AuditEvent{Seq: q, Action: store.ActionVerify, User: "u"})
	}
	slices.SortFunc(s.events, func(a, b store.AuditEvent) int { return int(a.Seq - b.Seq) })
}

func (s *trailStore) AuditAfter(_ context.Context, seq int64, limit int) ([]store.AuditEvent, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.AuditEvent
	for _, e := range s.events {
		if e.Seq > seq && len(out) < limit {
			out = append(out, e)
		}
	}
	var last int64
	if len(s.events) > 0 {
		last = s.events[len(s.events)-1].Seq
	}
	return out, last, nil
}

func (s *trailStore) Close() error { return nil }

// failingWriter fails its first n writes, after writing half of each.
type failingWriter struct {
	mu sync.Mutex
	n  int
	b  strings.Builder
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n > 0 {
		w.n--
		w.b.Write(p[:len(p)/2])
		return len(p) / 2, errors.New("disk full")
	}
	return w.b.Write(p)
}

func (w *failingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// seqs returns the seq of each whole line of s.
func seqs(t *testing.T, s string) []int64 {
	var out []int64
	for _, l := range strings.Split(s, "\n") {
		var v struct{ Seq int64 }
		if !strings.HasSuffix(l, "}") {
			continue // a line cut by a failed write, or the end
		}
		if err := jsonUnmarshal(l, &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, v.Seq)
	}
	return out
}

// TestWriteErrorRetried: a line that cannot be written is written later, in
// its place, and Err says why until then.
func TestWriteErrorRetried(t *testing.T) {
	st := &trailStore{}
	st.add(1, 2, 3)
	w := &failingWriter{n: 2}
	l := follow(st, w, 0, false, time.Now)
	l.copy(context.Background())
	if l.Err() == nil {
		t.Errorf("Err after a failed write = nil; want the error")
	}
	l.copy(context.Background())
	l.copy(context.Background())
	if l.Err() != nil {
		t.Errorf("Err after writing worked again = %v; want nil", l.Err())
	}
	if got := seqs(t, w.String()); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("lines after two failed writes: seqs %v; want [1 2 3]:\n%s", got, w.String())
	}
}

// TestGapWaits: the copier stops at a gap in the seqs until it fills, and
// skips it only after GapWait.
func TestGapWaits(t *testing.T) {
	st := &trailStore{}
	st.add(1, 3)
	var w failingWriter
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := follow(st, &w, 0, false, clock)
	l.copy(context.Background())
	if got := seqs(t, w.String()); !slices.Equal(got, []int64{1}) {
		t.Fatalf("with seq 2 missing, seqs written %v; want [1]", got)
	}
	st.add(2) // the transaction with seq 2 committed late
	l.copy(context.Background())
	if got := seqs(t, w.String()); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("after the gap filled, seqs written %v; want [1 2 3]", got)
	}
	st.add(6)
	l.copy(context.Background())
	mu.Lock()
	now = now.Add(GapWait - time.Second)
	mu.Unlock()
	l.copy(context.Background())
	if got := seqs(t, w.String()); len(got) != 3 || l.Dropped() != 0 {
		t.Fatalf("before GapWait, seqs written %v, dropped %d; want [1 2 3], 0", got, l.Dropped())
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	l.copy(context.Background())
	if got := seqs(t, w.String()); !slices.Equal(got, []int64{1, 2, 3, 6}) || l.Dropped() != 2 {
		t.Errorf("after GapWait, seqs written %v, dropped %d; want [1 2 3 6], 2", got, l.Dropped())
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
