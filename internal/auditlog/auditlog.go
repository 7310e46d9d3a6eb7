// Package auditlog copies otpgate's audit trail to a stream of JSON lines
// (https://jsonlines.org): one object per [store.AuditEvent], for a SIEM, a
// log shipper or jq. The audit table in the store stays the record; a line
// is a copy. Like the table, a line never holds a code or a secret: an
// AuditEvent has no field for one.
//
// Use [Tee] to wrap the store the engine and the admin commands write to,
// with a file from [OpenFile]; [Marshal] formats one event the same way for
// `otpgate audit --json`.
//
// # Line format
//
// Every line has the same fields, in this order, empty strings included:
//
//	{"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify",
//	 "user":"alice","token":"HZ3V7Q2M...","result":"ok","reason":"","source":"10.0.0.7"}
//
// time is RFC 3339 in UTC with nine fractional digits, so that lines sort
// as text.
//
// # Failures
//
// A login is decided by the store: the event is appended to the audit table
// first, and an error there is returned as before. Only then is the line
// queued. Writing lines never blocks or fails a caller: a full disk, a
// closed pipe or a stuck reader would otherwise either let a login through
// unaudited (if the error were ignored before the table) or refuse every
// login for as long as the log is broken. Instead a line that cannot be
// written, or that finds the queue full, is counted ([Log.Dropped]), the
// first error is kept ([Log.Err]), and once writing works again a line
// with action "auditlog-dropped" says how many lines were lost. The table
// still holds every event.
package auditlog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// TimeFormat is the layout of the time field: RFC 3339, UTC, nanoseconds.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// QueueSize is how many lines may wait for the writer before new ones are
// dropped.
const QueueSize = 4096

// actionDropped is the action of the line that reports lost lines.
const actionDropped = "auditlog-dropped"

// Line is the JSON form of an audit event.
type Line struct {
	Time   string `json:"time"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	User   string `json:"user"`
	Token  string `json:"token"`
	Result string `json:"result"`
	Reason string `json:"reason"`
	Source string `json:"source"`
}

// NewLine returns e as a Line.
func NewLine(e store.AuditEvent) Line {
	return Line{
		Time: e.Time.UTC().Format(TimeFormat), Actor: e.Actor, Action: e.Action, User: e.User,
		Token: e.TokenID, Result: e.Result, Reason: e.Reason, Source: e.Source,
	}
}

// Marshal returns e as one JSON line, with its final newline.
func Marshal(e store.AuditEvent) []byte {
	b, err := json.Marshal(NewLine(e))
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return append(b, '\n')
}

// Log is a store whose AppendAudit also writes each event to a stream of
// JSON lines. It is safe for concurrent use. Lines are written one at a
// time, whole, in the order they were queued; events appended at the same
// moment by two goroutines may be in another order in the table, whose
// group commits AppendAudit does not serialize.
type Log struct {
	store.Store
	w   io.Writer
	now func() time.Time

	queue chan []byte
	done  chan struct{}

	mu      sync.Mutex
	pending int    // lines queued and not yet written or lost
	dropped uint64 // lines lost since the last report line
	total   uint64 // lines lost in all
	err     error  // the first write error
	closed  bool
}

// Tee returns st, with every event that AppendAudit stores also written to
// w as a JSON line by a goroutine of its own. Close the Log (which closes
// st) to write the lines still queued; w is the caller's to close after.
func Tee(st store.Store, w io.Writer) *Log {
	l := &Log{Store: st, w: w, now: time.Now, queue: make(chan []byte, QueueSize), done: make(chan struct{})}
	go l.writeLoop()
	return l
}

// AppendAudit appends e to the store's audit table and, if that succeeded,
// queues its line. A zero e.Time is set to now first, so that the line and
// the row agree.
func (l *Log) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	if err := l.Store.AppendAudit(ctx, e); err != nil {
		return err
	}
	l.enqueue(Marshal(e))
	return nil
}

// enqueue hands line to the writer, or counts it lost when the queue is
// full or the Log closed.
func (l *Log) enqueue(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		l.lose(nil)
		return
	}
	select {
	case l.queue <- line:
		l.pending++
	default:
		l.lose(nil)
	}
}

// lose counts one lost line; l.mu is held.
func (l *Log) lose(err error) {
	l.dropped++
	l.total++
	if l.err == nil && err != nil {
		l.err = err
	}
}

func (l *Log) writeLoop() {
	defer close(l.done)
	for line := range l.queue {
		err := l.reportDropped()
		if err == nil {
			_, err = l.w.Write(line)
		}
		l.mu.Lock()
		if err != nil {
			l.lose(fmt.Errorf("auditlog: write: %w", err))
		}
		l.pending--
		l.mu.Unlock()
	}
}

// reportDropped writes the line that says how many lines were lost, if any
// were; an error means the stream is still not writable.
func (l *Log) reportDropped() error {
	l.mu.Lock()
	n := l.dropped
	l.mu.Unlock()
	if n == 0 {
		return nil
	}
	msg := Marshal(store.AuditEvent{
		Time: l.now(), Actor: "auditlog", Action: actionDropped, Result: "fail",
		Reason: fmt.Sprintf("%d lines were not written (see the audit table)", n),
	})
	if _, err := l.w.Write(msg); err != nil {
		return err
	}
	l.mu.Lock()
	l.dropped -= n
	l.mu.Unlock()
	return nil
}

// Dropped returns how many lines could not be written so far.
func (l *Log) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Err returns the first error writing a line, or nil.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Flush waits until every line queued so far has been written or dropped,
// or ctx ends.
func (l *Log) Flush(ctx context.Context) error {
	for {
		l.mu.Lock()
		n := l.pending
		l.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// Close stops queueing lines, waits for the queued ones to be written, and
// closes the store. A writer stuck in Write keeps Close waiting: give Tee
// a file or a pipe whose reader is not the process itself.
func (l *Log) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.done
	return l.Store.Close()
}
