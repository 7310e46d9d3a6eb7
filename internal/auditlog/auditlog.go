// Package auditlog copies otpgate's audit trail to a file of JSON lines
// (https://jsonlines.org): one object per [store.AuditEvent], for a SIEM, a
// log shipper or jq. The audit table in the store stays the record; the
// file follows it. Like the table, a line never holds a code or a secret:
// an AuditEvent has no field for one.
//
// Use [OpenFile] and [Tee] to wrap the store the daemon writes to; [Marshal]
// formats one event the same way for `otpgate audit --json`.
//
// # Line format
//
// Every line has the same fields, in this order, empty strings included:
//
//	{"time":"2026-11-23T10:00:00.000000000Z","actor":"radius","action":"verify",
//	 "user":"alice","token":"HZ3V7Q2M...","result":"ok","reason":"","source":"10.0.0.7","seq":1234}
//
// time is RFC 3339 in UTC with nine fractional digits. seq is the event's
// place in the store's trail ([store.AuditEvent].Seq).
//
// # What the file holds
//
// The file is written from the store, not from memory: a goroutine reads
// the events the store committed, in seq order, and appends one line for
// each. A login therefore never waits for the file, and a full disk or a
// stuck file never fails one. On start, [Tee] reads the seq of the file's
// last line and goes on after it, so every event the store committed after
// the file's first line is in the file, once, even after a crash (kill -9
// or a power cut lose only lines not yet written, and those are written at
// the next start); a line a power cut left unfinished is ended and the
// event written again whole after it. A line that cannot be written is
// retried from the same event ([Log.Err] says why meanwhile). Precisely:
//
//   - the file holds only events the store committed, in seq order;
//   - it holds every event of the trail with a seq above the first line's,
//     except those pruned from the store (audit_retention) before they were
//     copied and the gaps [Log.Dropped] counts (below);
//   - a new or empty file, or one whose last line has no seq (written by an
//     older otpgate), starts after the newest event in the store: the file
//     does not repeat the history;
//   - events other processes write to the same store (the admin commands,
//     OpenVPN hooks, other nodes) are copied too, within PollInterval. One
//     process per file: two processes copying one store into one file would
//     write every line twice.
//
// On SQLite, seq order is commit order. On PostgreSQL, a seq is drawn when
// an event is inserted and a transaction with a lower seq may commit after
// one with a higher; the copier stops at such a gap and waits for it to
// fill. A gap still open after GapWait is an insert that was rolled back
// (or lost in a database crash): it is skipped and counted in
// [Log.Dropped].
package auditlog

import (
	"encoding/json"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// TimeFormat is the layout of the time field: RFC 3339, UTC, nanoseconds.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

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
	Seq    int64  `json:"seq"`
}

// NewLine returns e as a Line.
func NewLine(e store.AuditEvent) Line {
	return Line{
		Time: e.Time.UTC().Format(TimeFormat), Actor: string(e.Actor), Action: string(e.Action), User: e.User,
		Token: e.TokenID, Result: string(e.Result), Reason: e.Reason, Source: e.Source, Seq: e.Seq,
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

// Timing of the copier.
const (
	// PollInterval is how often the copier looks for events it was not
	// told about: those of other processes and nodes.
	PollInterval = time.Second
	// GapWait is how long a gap in PostgreSQL's seq may stay open before
	// it is taken for a rolled-back insert: longer than any transaction of
	// the store lasts (each statement is bounded by statement_timeout).
	GapWait = time.Minute
	// batchSize is how many events one read of the trail returns.
	batchSize = 1000
)
