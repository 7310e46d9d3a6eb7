package auditlog

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Log is a store whose audit trail is copied to a file. Its methods are
// those of the store it wraps; the writes that append events also wake the
// copier, so that their lines follow at once. It is safe for concurrent
// use.
type Log struct {
	store.Store
	w    io.Writer
	now  func() time.Time
	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	cursor    int64     // the seq of the last line written
	broken    bool      // a write failed: the file may end in part of a line
	gapSince  time.Time // when the copier first waited for the gap after cursor
	dropped   uint64
	err       error
	closeOnce sync.Once
}

// Tee returns st, with the events of its trail copied to f as JSON lines by
// a goroutine of its own, starting after the event of f's last line (see
// the package doc). f must be open for reading and appending, as OpenFile
// opens it. Close the Log (which closes st) to write the lines still due;
// f is the caller's to close after.
func Tee(ctx context.Context, st store.Store, f *os.File) (*Log, error) {
	after, ok, broken, err := lastSeq(f)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, after, err = st.AuditAfter(ctx, math.MaxInt64, 1); err != nil {
			return nil, fmt.Errorf("auditlog: where the trail ends: %w", err)
		}
	}
	l := follow(st, f, after, broken, time.Now)
	go l.loop()
	return l, nil
}

// follow returns a Log that copies st's events after seq after to w once
// its loop runs; broken says that w ends in part of a line.
func follow(st store.Store, w io.Writer, after int64, broken bool, now func() time.Time) *Log {
	return &Log{Store: st, w: w, now: now, cursor: after, broken: broken,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// CommitSuccess is the store's, and then wakes the copier.
func (l *Log) CommitSuccess(ctx context.Context, s store.Success) (store.Commit, error) {
	defer l.poke()
	return l.Store.CommitSuccess(ctx, s)
}

// RecordFailure is the store's, and then wakes the copier.
func (l *Log) RecordFailure(ctx context.Context, a store.Attempt) (store.Failure, error) {
	defer l.poke()
	return l.Store.RecordFailure(ctx, a)
}

// RecordLoginFailure is the store's, and then wakes the copier.
func (l *Log) RecordLoginFailure(ctx context.Context, subject string, now time.Time, lim store.LoginLimit, e *store.AuditEvent) (store.Failure, error) {
	defer l.poke()
	return l.Store.RecordLoginFailure(ctx, subject, now, lim, e)
}

// AppendAudit is the store's, and then wakes the copier.
func (l *Log) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	defer l.poke()
	return l.Store.AppendAudit(ctx, e)
}

func (l *Log) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Dropped returns how many events the file will never get: the gaps in
// the trail's numbering that stayed open past GapWait.
func (l *Log) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// Err returns why the last attempt to copy events failed (the file could
// not be written, the store not read), or nil once copying works again.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Flush waits until every event committed before it was called is in the
// file, or ctx ends.
func (l *Log) Flush(ctx context.Context) error {
	_, last, err := l.Store.AuditAfter(ctx, math.MaxInt64, 1)
	if err != nil {
		return fmt.Errorf("auditlog: flush: %w", err)
	}
	for {
		l.mu.Lock()
		done := l.cursor >= last
		l.mu.Unlock()
		if done {
			return nil
		}
		l.poke()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// Close copies what the store holds by now, stops the copier and closes
// the store. Lines it could not write (a gap still open, a broken file) are
// written by the next Tee on the same file.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.done
	})
	return l.Store.Close()
}
