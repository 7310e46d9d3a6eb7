package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Hot reads. The reads of a verification (a user's tokens, a token by id or
// identifier) run on a few goroutines that each own a read connection and
// its prepared statements, not on the caller's goroutine. SQLite's code needs
// deep stacks: run on the callers' goroutines, each grew its stack on every
// read and the garbage collector shrank it again while it waited, which cost
// a tenth of a verification's CPU with 512 callers. The readers keep their
// stacks, and no read waits for the connection pool's lock.

// A one-shot store (Options.OneShot) runs no reading goroutines: its
// readers are inline, running each read on the caller's goroutine on the
// store's read-only pool, with no statements prepared ahead, since one
// login's few reads would not pay for their preparation.

// readers is the pool of reading goroutines.
type readers struct {
	db     *sql.DB
	inline *reader // set for a one-shot store: reads run on the caller's goroutine
	reqs   chan *read
	mu     sync.RWMutex // held for reading while sending on reqs
	closed bool
	wg     sync.WaitGroup
	conns  []*reader
}

// reader is one goroutine's connection and its statements, or, inline, a
// pool to query without preparing.
type reader struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	pool  *sql.DB // inline
}

// queryRow runs query with args, on the statement prepared for it.
func (r *reader) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if r.pool != nil {
		return r.pool.QueryRowContext(ctx, query, args...)
	}
	return r.stmts[query].QueryRowContext(ctx, args...)
}

// query is queryRow for a query of several rows.
func (r *reader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if r.pool != nil {
		return r.pool.QueryContext(ctx, query, args...)
	}
	return r.stmts[query].QueryContext(ctx, args...)
}

// read is one read waiting for a reader.
type read struct {
	ctx  context.Context
	run  func(ctx context.Context, r *reader) error
	done chan error // buffered: a reader never blocks on a caller
}

// hotReaders is how many reading goroutines a store runs: reads cost CPU,
// not waiting, so more than one per CPU would only queue inside SQLite.
func hotReaders() int { return max(2, runtime.GOMAXPROCS(0)) }

// newReaders opens n connections of db, prepares queries on each, and starts
// a goroutine per connection.
func newReaders(ctx context.Context, db *sql.DB, n int, queries []string) (*readers, error) {
	rs := &readers{db: db, reqs: make(chan *read, n)}
	for range n {
		conn, err := db.Conn(ctx)
		if err != nil {
			rs.close()
			return nil, err
		}
		r := &reader{conn: conn, stmts: make(map[string]*sql.Stmt, len(queries))}
		rs.conns = append(rs.conns, r)
		for _, q := range queries {
			if r.stmts[q], err = conn.PrepareContext(ctx, q); err != nil {
				rs.close()
				return nil, fmt.Errorf("prepare: %w", err)
			}
		}
	}
	for _, r := range rs.conns {
		rs.wg.Go(func() { rs.loop(r) })
	}
	return rs, nil
}

// inlineReaders reads on pool from the caller's goroutine. Closing them
// leaves pool open.
func inlineReaders(pool *sql.DB) *readers {
	return &readers{inline: &reader{pool: pool}}
}

func (rs *readers) loop(r *reader) {
	for rq := range rs.reqs {
		err := rq.ctx.Err()
		if err == nil {
			err = rq.run(rq.ctx, r)
		}
		rq.done <- err
	}
}

// do runs fn on a reader and returns its error. A caller whose ctx ends
// while its read waits gets ctx's error.
func (rs *readers) do(ctx context.Context, fn func(ctx context.Context, r *reader) error) error {
	if rs.inline != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(ctx, rs.inline)
	}
	rq := &read{ctx: ctx, run: fn, done: make(chan error, 1)}
	if err := rs.submit(ctx, rq); err != nil {
		return err
	}
	select {
	case err := <-rq.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (rs *readers) submit(ctx context.Context, rq *read) error {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	if rs.closed {
		return errClosed
	}
	select {
	case rs.reqs <- rq:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close answers the reads already submitted, stops the readers and closes
// their statements, connections and db.
func (rs *readers) close() error {
	if rs.inline != nil {
		return nil
	}
	rs.mu.Lock()
	if !rs.closed {
		rs.closed = true
		close(rs.reqs)
	}
	rs.mu.Unlock()
	rs.wg.Wait()
	var errs []error
	for _, r := range rs.conns {
		for _, s := range r.stmts {
			errs = append(errs, s.Close())
		}
		errs = append(errs, r.conn.Close())
	}
	errs = append(errs, rs.db.Close())
	return errors.Join(errs...)
}
