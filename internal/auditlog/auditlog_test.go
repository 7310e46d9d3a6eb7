package auditlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		in   store.AuditEvent
		want string
	}{
		{store.AuditEvent{Seq: 7, Time: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Actor: "radius", Action: "verify",
			User: "alice", TokenID: "TOK1", Result: "ok", Source: "10.0.0.7"},
			`{"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify","user":"alice","token":"TOK1","result":"ok","reason":"","source":"10.0.0.7","seq":7}` + "\n"},
		{store.AuditEvent{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600)), Action: "unlock",
			User: "b\"ob\n", Reason: "<now locked>"},
			`{"time":"2026-01-02T02:04:05.000000006Z","actor":"","action":"unlock","user":"b\"ob\n","token":"","result":"","reason":"\u003cnow locked\u003e","source":"","seq":0}` + "\n"},
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

// site is a SQLite store and an audit file beside it.
type site struct {
	db, file string
}

func newSite(t *testing.T) site {
	dir := t.TempDir()
	return site{db: filepath.Join(dir, "otpgate.db"), file: filepath.Join(dir, "audit.jsonl")}
}

func (s site) open(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// tee opens the store and the file and tees them, as the daemon does.
func (s site) tee(t *testing.T) *auditlog.Log {
	t.Helper()
	f, err := auditlog.OpenFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	l, err := auditlog.Tee(context.Background(), s.open(t), f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lines returns the file's lines.
func (s site) lines(t *testing.T) []auditlog.Line {
	t.Helper()
	b, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	return lines(t, string(b))
}

// trail returns every event in the store as its line, in seq order.
func (s site) trail(t *testing.T) []auditlog.Line {
	t.Helper()
	st := s.open(t)
	defer st.Close()
	es, _, err := st.AuditAfter(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditlog.Line
	for _, e := range es {
		out = append(out, auditlog.NewLine(e))
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

func event(i int) store.AuditEvent {
	return store.AuditEvent{Time: time.Unix(1_700_000_000+int64(i), 0), Actor: store.ActorRADIUS, Action: store.ActionVerify,
		User: fmt.Sprintf("u%d", i), Result: store.ResultOK, Source: "192.0.2.1"}
}

func appendEvents(t *testing.T, st store.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := st.AppendAudit(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTeeCopiesTheTrail: the file gets every event of the trail, in seq
// order, once: those written through the Log and those another process
// wrote to the same store.
func TestTeeCopiesTheTrail(t *testing.T) {
	s := newSite(t)
	l := s.tee(t)
	other := s.open(t)
	defer other.Close()
	appendEvents(t, l, 0, 50)
	appendEvents(t, other, 50, 60) // an admin command's events
	flush(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.lines(t), s.trail(t); !reflect.DeepEqual(got, want) || len(got) != 60 {
		t.Errorf("file holds %d lines; want the %d events of the trail, in order:\n%v\n%v", len(got), len(want), got, want)
	}
}

// TestTeeResumes: events committed while no Log was copying (a crash, a
// stop) are written at the next Tee, after the lines already there.
func TestTeeResumes(t *testing.T) {
	s := newSite(t)
	l := s.tee(t)
	appendEvents(t, l, 0, 10)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st := s.open(t)
	appendEvents(t, st, 10, 25)
	st.Close()
	l = s.tee(t)
	flush(t, l)
	l.Close()
	if got, want := s.lines(t), s.trail(t); !reflect.DeepEqual(got, want) || len(got) != 25 {
		t.Errorf("file after resuming holds %d lines; want the %d events of the trail", len(got), len(want))
	}
}

// TestTeeNewFileStartsAtTheEnd: a new file does not repeat the history.
func TestTeeNewFileStartsAtTheEnd(t *testing.T) {
	s := newSite(t)
	st := s.open(t)
	appendEvents(t, st, 0, 5)
	st.Close()
	l := s.tee(t)
	appendEvents(t, l, 5, 6)
	flush(t, l)
	l.Close()
	got := s.lines(t)
	if len(got) != 1 || got[0].User != "u5" {
		t.Errorf("a new file holds %+v; want only the event after Tee", got)
	}
}

// TestTeeEndsACutLine: a file whose last line a power cut left unfinished
// goes on after its last whole line; the cut line is ended, and its event
// written again whole.
func TestTeeEndsACutLine(t *testing.T) {
	s := newSite(t)
	l := s.tee(t)
	appendEvents(t, l, 0, 3)
	l.Close()
	whole, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	cut := bytes.LastIndexByte(whole[:len(whole)-1], '\n') + 1 + 20 // 20 bytes into the last line
	if err := os.WriteFile(s.file, whole[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	l = s.tee(t)
	flush(t, l)
	l.Close()
	b, _ := os.ReadFile(s.file)
	parts := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(parts) != 4 || parts[2] != string(whole[bytes.LastIndexByte(whole[:len(whole)-1], '\n')+1:cut]) {
		t.Fatalf("file after resuming a cut line:\n%s", b)
	}
	var v auditlog.Line
	if err := json.Unmarshal([]byte(parts[3]), &v); err != nil || v.User != "u2" {
		t.Errorf("line after the cut one = %q (%v); want u2's event whole", parts[3], err)
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
	f.Add("radius", "verify", "alice", "TOK", "ok", "", "10.0.0.1", int64(0), int64(1))
	f.Add("", "x\n\"y", "\xff\xfe", "\u2028", "", "<>&", "", int64(-1), int64(-5))
	f.Fuzz(func(t *testing.T, actor, action, user, tok, result, reason, source string, nanos, seq int64) {
		e := store.AuditEvent{Seq: seq, Time: time.Unix(0, nanos), Actor: store.Actor(actor), Action: store.Action(action),
			User: user, TokenID: tok, Result: store.Result(result), Reason: reason, Source: source}
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
