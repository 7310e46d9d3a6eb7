package auditlog

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// closeWait bounds the last copy of Close, when the store or the file
// hangs.
const closeWait = 10 * time.Second

// loop copies events when woken, every PollInterval, and once more when
// stopped.
func (l *Log) loop() {
	defer close(l.done)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.wake:
		case <-tick.C:
		case <-l.stop:
			ctx, cancel := context.WithTimeout(context.Background(), closeWait)
			l.copy(ctx)
			cancel()
			return
		}
		l.copy(context.Background())
	}
}

// copy writes the events after the cursor, batch by batch, until it has
// written all there are, meets a gap that may still fill, or fails; a
// failure is kept for Err and the next copy starts again at the cursor.
func (l *Log) copy(ctx context.Context) {
	for {
		es, err := l.events(ctx)
		if err == nil {
			var more bool
			more, err = l.write(es)
			if err == nil && more && len(es) == batchSize {
				continue
			}
		}
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		return
	}
}

func (l *Log) events(ctx context.Context) ([]store.AuditEvent, error) {
	l.mu.Lock()
	after := l.cursor
	l.mu.Unlock()
	es, _, err := l.Store.AuditAfter(ctx, after, batchSize)
	if err != nil {
		return nil, fmt.Errorf("auditlog: read the trail: %w", err)
	}
	return es, nil
}

// write appends es, in order, up to the first gap that may still fill. It
// reports whether it wrote them all.
func (l *Log) write(es []store.AuditEvent) (bool, error) {
	for _, e := range es {
		if !l.pass(e.Seq) {
			return false, nil
		}
		if err := l.writeLine(e); err != nil {
			return false, err
		}
	}
	return true, nil
}

// pass reports whether the event numbered seq is the next to write: it
// follows the cursor, or the gap before it has been open for GapWait.
func (l *Log) pass(seq int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq == l.cursor+1 {
		return true
	}
	now := l.now()
	if l.gapSince.IsZero() {
		l.gapSince = now
	}
	if now.Sub(l.gapSince) < GapWait {
		return false
	}
	l.dropped += uint64(seq - l.cursor - 1)
	return true
}

// writeLine appends e's line and moves the cursor past it. After a failed
// write the file may end in part of a line, which a newline ends first.
func (l *Log) writeLine(e store.AuditEvent) error {
	line := Marshal(e)
	l.mu.Lock()
	broken := l.broken
	l.mu.Unlock()
	if broken {
		line = append([]byte{'\n'}, line...)
	}
	_, err := l.w.Write(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.broken = true
		return fmt.Errorf("auditlog: write: %w", err)
	}
	l.broken, l.cursor, l.gapSince = false, e.Seq, time.Time{}
	return nil
}
