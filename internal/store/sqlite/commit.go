package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Group commit. Every write goes to one goroutine that owns the store's only
// write connection. It takes the writes that arrived while the previous
// transaction was committing and runs them all in one transaction, so that
// one fsync makes a whole batch durable. Each write still runs its own
// statements (CommitSuccess stays one conditional UPDATE) and learns its own
// answer, but only after the transaction committed: a transaction that fails
// fails every write in it.

// maxBatch bounds a transaction, and with it the latency of its first write.
const maxBatch = 1024

// op is one write waiting for the committer.
type op struct {
	ctx context.Context // the caller's: an op whose caller left is not run
	// run executes the op's statements in the batch transaction. An error
	// that wraps errOutcome is the op's answer and leaves the transaction
	// intact; any other error aborts the transaction.
	run func(w *writer) error
	// atomic ops have several statements and run inside a savepoint.
	atomic bool
	// alone ops (Reseal) get a transaction of their own.
	alone bool
	// bare ops are alone and run outside any transaction (VACUUM).
	bare bool
	done chan error // buffered: the committer never blocks on a caller
	err  error
}

// errOutcome marks errors that answer one op without harming its batch:
// store.ErrNotFound, store.ErrExists, and an error returned by a Reseal
// callback (which does roll back, but its transaction is its own).
var errOutcome = errors.New("outcome")

type outcome struct{ err error }

func (o outcome) Error() string   { return o.err.Error() }
func (o outcome) Unwrap() []error { return []error{o.err, errOutcome} }
func answer(err error) error      { return outcome{err} }
func isOutcome(err error) bool    { return errors.Is(err, errOutcome) }
func stripOutcome(err error) error {
	var o outcome
	if errors.As(err, &o) {
		return o.err
	}
	return err
}

// errClosed answers writes submitted after Close.
var errClosed = errors.New("sqlite: store is closed")

type committer struct {
	w      *writer
	ops    chan *op
	mu     sync.RWMutex // held for reading while sending on ops
	closed bool
	exited chan struct{}
}

func newCommitter(w *writer) *committer {
	c := &committer{w: w, ops: make(chan *op, maxBatch), exited: make(chan struct{})}
	go c.loop()
	return c
}

// do submits o and waits for its answer. A caller whose ctx ends while its
// op is in flight gets ctx's error, and the op may still have committed.
func (c *committer) do(ctx context.Context, o *op) error {
	o.ctx, o.done = ctx, make(chan error, 1)
	if err := c.submit(ctx, o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *committer) submit(ctx context.Context, o *op) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return errClosed
	}
	select {
	case c.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close answers the writes already submitted and stops the committer.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.ops)
	}
	c.mu.Unlock()
	<-c.exited
}

func (c *committer) loop() {
	defer close(c.exited)
	var next *op
	for {
		if next == nil {
			var ok bool
			if next, ok = <-c.ops; !ok {
				return
			}
		}
		var batch []*op
		batch, next = c.gather(next)
		c.commit(batch)
	}
}

// gather collects first and the ops already waiting behind it. An alone op
// ends the batch and is returned as the start of the next one.
func (c *committer) gather(first *op) (batch []*op, next *op) {
	batch = append(batch, first)
	if first.alone {
		return batch, nil
	}
	for len(batch) < maxBatch {
		select {
		case o, ok := <-c.ops:
			if !ok {
				return batch, nil
			}
			if o.alone {
				return batch, o
			}
			batch = append(batch, o)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// commit runs batch in one transaction and answers every op in it. When one
// op's statement fails in a way that aborts the transaction, that op gets the
// error and the others are tried once more without it, so that one bad write
// does not fail its neighbours; a second failure fails them all.
func (c *committer) commit(batch []*op) {
	retried := false
	for {
		bad, err := c.w.transaction(batch)
		if err == nil || bad < 0 || retried || len(batch) == 1 {
			for _, o := range batch {
				if err != nil {
					o.err = err
				}
				o.done <- stripOutcome(o.err)
			}
			return
		}
		batch[bad].done <- err
		batch = append(batch[:bad:bad], batch[bad+1:]...)
		retried = true
	}
}

// transaction runs ops in one transaction. On failure it returns the index of
// the op that failed, or -1 when the transaction itself did.
func (w *writer) transaction(ops []*op) (int, error) {
	if ops[0].bare {
		if ops[0].err = ops[0].ctx.Err(); ops[0].err == nil {
			ops[0].err = w.runOp(ops[0])
		}
		return -1, nil
	}
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return -1, fmt.Errorf("sqlite: begin: %w", err)
	}
	for i, o := range ops {
		o.err = o.ctx.Err()
		if o.err != nil {
			continue
		}
		o.err = w.runOp(o)
		if o.err != nil && !isOutcome(o.err) {
			w.rollback()
			return i, o.err
		}
	}
	if ops[0].alone && ops[0].err != nil {
		w.rollback()
		return -1, ops[0].err
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.rollback()
		return -1, fmt.Errorf("sqlite: commit: %w", err)
	}
	return -1, nil
}

// runOp runs o, inside a savepoint when it is atomic, and turns a panic in a
// caller's callback into an error for that caller.
func (w *writer) runOp(o *op) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", p)
		}
	}()
	if !o.atomic {
		return o.run(w)
	}
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "SAVEPOINT op"); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	err = o.run(w)
	if err != nil {
		if _, rerr := w.conn.ExecContext(ctx, "ROLLBACK TO op"); rerr != nil {
			return fmt.Errorf("sqlite: roll back to savepoint: %w", rerr)
		}
	}
	if _, rerr := w.conn.ExecContext(ctx, "RELEASE op"); rerr != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", rerr)
	}
	return err
}

// rollback ends a failed transaction. SQLite may have rolled it back
// already (after an I/O error, say), so a failure here is not news.
func (w *writer) rollback() {
	w.conn.ExecContext(context.Background(), "ROLLBACK")
}

// writer is the committer's connection and its prepared statements.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (w *writer) exec(query string, args ...any) (sql.Result, error) {
	s, err := w.prepared(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(context.Background(), args...)
}

func (w *writer) queryRow(query string, args ...any) sqlstore.Scanner {
	s, err := w.prepared(query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(context.Background(), args...)
}

func (w *writer) query(query string, args ...any) (*sql.Rows, error) {
	s, err := w.prepared(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(context.Background(), args...)
}

// prepared returns the statement prepared for query. Only the committer's
// goroutine calls it, so the map needs no lock.
func (w *writer) prepared(query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	s, err := w.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	w.stmts[query] = s
	return s, nil
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
