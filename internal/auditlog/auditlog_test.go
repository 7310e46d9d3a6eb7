package auditlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"otpgate.dev/otpgate/internal/testpeer"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/store"
)

// memStore keeps audit events in memory; every other method panics.
type memStore struct {
	store.Store
	mu     sync.Mutex
	events []store.AuditEvent
	fail   error
	closed bool
}

func (m *memStore) AppendAudit(_ context.Context, e store.AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.events = append(m.events, e)
	return nil
}

func (m *memStore) Close() error { m.closed = true; return nil }

// syncBuffer collects output written concurrently.
type syncBuffer = testpeer.Buffer

func TestMarshal(t *testing.T) {
	tests := []struct {
		in   store.AuditEvent
		want string
	}{
		{store.AuditEvent{Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Actor: "radius", Action: "verify",
			User: "alice", TokenID: "TOK1", Result: "ok", Source: "10.0.0.7"},
			`{"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify","user":"alice","token":"TOK1","result":"ok","reason":"","source":"10.0.0.7"}` + "\n"},
		{store.AuditEvent{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600)), Action: "unlock",
			User: "b\"ob\n", Reason: "<now locked>"},
			`{"time":"2026-01-02T02:04:05.000000006Z","actor":"","action":"unlock","user":"b\"ob\n","token":"","result":"","reason":"\u003cnow locked\u003e","source":""}` + "\n"},
	}
	for _, tt := range tests {
		if got := string(auditlog.Marshal(tt.in)); got != tt.want {
			t.Errorf("Marshal(%+v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// lines decodes the JSON lines in s.
func lines(t *testing.T, s string) []auditlog.Line {
	t.Helper()
	var out []auditlog.Line
	for i, l := range strings.SplitAfter(s, "\n") {
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\n") {
			t.Fatalf("line %d %q has no newline", i+1, l)
		}
		var v auditlog.Line
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		out = append(out, v)
	}
	return out
}

func flush(t *testing.T, l *auditlog.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func TestTeeCopiesEachStoredEvent(t *testing.T) {
	m := &memStore{}
	var w syncBuffer
	l := auditlog.Tee(m, &w)
	ctx := context.Background()
	ev := store.AuditEvent{Time: time.Unix(100, 5), Actor: "openvpn", Action: "verify", User: "alice", Result: "fail", Reason: "wrong code"}
	if err := l.AppendAudit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendAudit(ctx, store.AuditEvent{Action: "delete", User: "bob"}); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	got := lines(t, w.String())
	if len(got) != 2 || len(m.events) != 2 {
		t.Fatalf("after 2 events: %d lines, %d rows", len(got), len(m.events))
	}
	for i := range got {
		if want := auditlog.NewLine(m.events[i]); got[i] != want {
			t.Errorf("line %d = %+v; want the row %+v", i, got[i], want)
		}
	}
	if m.events[1].Time.IsZero() {
		t.Errorf("a zero Time reached the store; Tee should stamp it so that row and line agree")
	}
	if err := l.Close(); err != nil || !m.closed {
		t.Errorf("Close = %v, store closed %v", err, m.closed)
	}
}

// A store error is returned and no line is written: the table is the record.
func TestTeeStoreErrorWritesNoLine(t *testing.T) {
	errDisk := errors.New("disk full")
	m := &memStore{fail: errDisk}
	var w syncBuffer
	l := auditlog.Tee(m, &w)
	defer l.Close()
	if err := l.AppendAudit(context.Background(), store.AuditEvent{Action: "verify"}); !errors.Is(err, errDisk) {
		t.Errorf("AppendAudit with a failing store = %v; want %v", err, errDisk)
	}
	flush(t, l)
	if w.String() != "" {
		t.Errorf("a line was written for an event the store refused: %q", w.String())
	}
}

// flakyWriter fails while broken is set.
type flakyWriter struct {
	syncBuffer
	broken atomic.Bool
}

func (f *flakyWriter) Write(p []byte) (int, error) {
	if f.broken.Load() {
		return 0, errors.New("no space left on device")
	}
	return f.syncBuffer.Write(p)
}

func (f *flakyWriter) set(b bool) { f.broken.Store(b) }

// A failing log loses lines but never fails the caller, and says so once it
// works again.
func TestTeeWriteErrorNeverFailsCaller(t *testing.T) {
	m := &memStore{}
	w := &flakyWriter{}
	w.set(true)
	l := auditlog.Tee(m, w)
	defer l.Close()
	ctx := context.Background()
	for i := range 3 {
		if err := l.AppendAudit(ctx, store.AuditEvent{Action: "verify", User: fmt.Sprint(i)}); err != nil {
			t.Fatalf("AppendAudit with a failing log = %v; want nil (the table has it)", err)
		}
	}
	flush(t, l)
	if l.Dropped() != 3 || l.Err() == nil || !strings.Contains(l.Err().Error(), "no space") {
		t.Errorf("Dropped, Err = %d, %v; want 3 and the write error", l.Dropped(), l.Err())
	}
	w.set(false)
	if err := l.AppendAudit(ctx, store.AuditEvent{Action: "verify", User: "after"}); err != nil {
		t.Fatal(err)
	}
	flush(t, l)
	got := lines(t, w.String())
	if len(got) != 2 || got[0].Action != "auditlog-dropped" || !strings.HasPrefix(got[0].Reason, "3 lines") || got[1].User != "after" {
		t.Errorf("lines after recovery = %+v; want the drop report for 3 lines, then the new event", got)
	}
	if len(m.events) != 4 {
		t.Errorf("the table has %d events; want all 4", len(m.events))
	}
}

// blockedWriter blocks every Write until release is closed.
type blockedWriter struct {
	release chan struct{}
	syncBuffer
}

func (b *blockedWriter) Write(p []byte) (int, error) {
	<-b.release
	return b.syncBuffer.Write(p)
}

// A stuck reader never blocks a caller: lines past the queue are dropped.
func TestTeeStuckWriterNeverBlocks(t *testing.T) {
	m := &memStore{}
	w := &blockedWriter{release: make(chan struct{})}
	l := auditlog.Tee(m, w)
	n := auditlog.QueueSize + 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			l.AppendAudit(context.Background(), store.AuditEvent{Action: "verify"})
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("AppendAudit blocked behind a stuck log writer")
	}
	// The writer holds one line in its stuck Write; the queue holds the next.
	if d := l.Dropped(); d < 99 {
		t.Errorf("Dropped = %d; want at least the 99 events past the queue and the writer", d)
	}
	close(w.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, w.String())
	if want := n - int(l.Dropped()) + 1; len(got) != want {
		t.Errorf("%d lines after release; want %d written plus the drop report", len(got), want)
	}
}

// Concurrent appends give whole lines, one per event.
func TestTeeConcurrentLinesWhole(t *testing.T) {
	m := &memStore{}
	var w syncBuffer
	l := auditlog.Tee(m, &w)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 20 {
				l.AppendAudit(context.Background(), store.AuditEvent{Action: "verify", User: fmt.Sprintf("u%d-%d", g, i), Reason: strings.Repeat("x", 500)})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, w.String())
	seen := map[string]bool{}
	for _, g := range got {
		seen[g.User] = true
	}
	if len(got) != 64*20 || len(seen) != 64*20 {
		t.Errorf("%d lines, %d distinct users; want %d of each", len(got), len(seen), 64*20)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	for range 2 {
		f, err := auditlog.OpenFile(path)
		if err != nil {
			t.Fatalf("OpenFile(%q) = %v", path, err)
		}
		f.Write(auditlog.Marshal(store.AuditEvent{Action: "verify"}))
		f.Close()
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("OpenFile created mode %v (%v); want 0600", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(path); strings.Count(string(data), "\n") != 2 {
		t.Errorf("after two opens the file holds %q; want two appended lines", data)
	}
	loose := filepath.Join(dir, "loose.jsonl")
	os.WriteFile(loose, nil, 0o600)
	os.Chmod(loose, 0o662)
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(path, link)
	for _, bad := range []string{loose, link, dir, filepath.Join(dir, "missing", "x")} {
		if f, err := auditlog.OpenFile(bad); err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) = nil error; want a refusal", bad)
		}
	}
}

func FuzzMarshal(f *testing.F) {
	f.Add("radius", "verify", "alice", "TOK", "ok", "", "10.0.0.1", int64(0))
	f.Add("", "x\n\"y", "\xff\xfe", "\u2028", "", "<>&", "", int64(-1))
	f.Fuzz(func(t *testing.T, actor, action, user, tok, result, reason, source string, nanos int64) {
		e := store.AuditEvent{Time: time.Unix(0, nanos), Actor: actor, Action: action, User: user, TokenID: tok,
			Result: result, Reason: reason, Source: source}
		b := auditlog.Marshal(e)
		if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
			t.Fatalf("Marshal(%+v) = %q; want exactly one line", e, b)
		}
		var got auditlog.Line
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Marshal(%+v) = %q, which does not parse: %v", e, b, err)
		}
		if want := auditlog.NewLine(e); !reflect.DeepEqual(got, jsonRoundTrip(want)) {
			t.Errorf("Marshal round trip = %+v; want %+v", got, want)
		}
		if tm, err := time.Parse(auditlog.TimeFormat, got.Time); err != nil || !tm.Equal(e.Time) {
			t.Errorf("time %q parses as %v, %v; want %v", got.Time, tm, err, e.Time)
		}
	})
}

// jsonRoundTrip is l as encoding/json gives it back (invalid UTF-8 becomes
// U+FFFD).
func jsonRoundTrip(l auditlog.Line) auditlog.Line {
	b, _ := json.Marshal(l)
	var out auditlog.Line
	json.Unmarshal(b, &out)
	return out
}
