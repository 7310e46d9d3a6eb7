package pgstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Group commit. The successes that arrive while earlier ones are being
// committed wait for one of a few committing goroutines, which takes all of
// them and commits them as one statement: one round trip, one transaction
// and one WAL flush for the whole batch, instead of one of each per login,
// which is where PostgreSQL spent its CPU. Each success still gets its own
// answer, and only after the statement committed.
//
// The statement is the conditional UPDATE of every token in the batch
// joined to its input row, and the INSERT of the event of each row it
// changed, so a success is committed with its event or not at all, as
// commitSuccess does for one. Under Read Committed each row's UPDATE waits
// for a concurrent writer of that row and re-evaluates its condition on
// the new version (PostgreSQL 13.2.1), so the first success of a counter
// still wins among nodes. A batch never holds one token twice; a second
// success of a token waits for the next batch.
//
// A batch whose statement fails (a deadlock with another node's batch
// locking the same tokens in another order, a value one row could not
// store) is committed again one success at a time, so that each learns its
// own answer and no success fails for its neighbours.

// maxBatch bounds a batch and with it the arrays of its statement.
const maxBatch = 256

// committers is how many batches of one store may be in flight at once: one
// is built while another waits for PostgreSQL's WAL flush.
const committers = 2

// commitBatch updates the tokens of the input rows ($1-$4: id, next, drift,
// now, as in sqlstore.CommitSuccess, whose condition it repeats) and inserts
// the events ($5-$12, sqlstore.AuditColumns) of the rows it changed, and
// returns the ids of the tokens it changed.
const commitBatch = `WITH i AS (
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
		$5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
		AS i(id, next, drift, now, logged_at, actor, action, user_name, token_id, result, reason, source)
), s AS (
	UPDATE tokens t SET next_counter = i.next, drift = i.drift, failures = 0, last_check = i.now, last_success = i.now
	FROM i WHERE t.id = i.id AND t.next_counter < i.next AND t.enabled AND (t.locked_until IS NULL OR t.locked_until <= i.now)
	RETURNING t.id
), a AS (
	INSERT INTO audit (` + sqlstore.AuditColumns + `)
	SELECT i.logged_at, i.actor, i.action, i.user_name, i.token_id, i.result, i.reason, i.source FROM i JOIN s ON s.id = i.id
)
SELECT id FROM s`

// pending is one success waiting for a batch.
type pending struct {
	ctx  context.Context
	sc   store.Success
	done chan answer // buffered: a committer never blocks on a caller
}

type answer struct {
	c   store.Commit
	err error
}

// batcher is the store's committing goroutines and their queue.
type batcher struct {
	s      *Store
	queue  chan *pending
	mu     sync.RWMutex // held for reading while sending on queue
	closed bool
	wg     sync.WaitGroup
	// batched counts the successes committed in a batch of more than one
	// (for the tests, which must see batches form).
	batched atomic.Int64
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, queue: make(chan *pending, maxBatch)}
	for range committers {
		b.wg.Go(b.loop)
	}
	return b
}

// commit submits sc and waits for its answer. A caller whose ctx ends while
// its success is in flight gets ctx's error, and the success may still have
// committed.
func (b *batcher) commit(ctx context.Context, sc store.Success) (store.Commit, error) {
	p := &pending{ctx: ctx, sc: sc, done: make(chan answer, 1)}
	if err := b.submit(ctx, p); err != nil {
		return 0, err
	}
	select {
	case a := <-p.done:
		return a.c, a.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

var errClosed = errors.New("store is closed")

func (b *batcher) submit(ctx context.Context, p *pending) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	select {
	case b.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close commits what was submitted and stops the committers.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *batcher) loop() {
	for first := range b.queue {
		batch, again := b.gather(first)
		b.run(batch)
		for _, p := range again {
			b.run([]*pending{p})
		}
	}
}

// gather takes first and the successes already waiting behind it, up to
// maxBatch; those of a token already in the batch are returned apart.
func (b *batcher) gather(first *pending) (batch, again []*pending) {
	batch = append(batch, first)
	in := map[string]bool{first.sc.TokenID: true}
	for len(batch) < maxBatch {
		select {
		case p, ok := <-b.queue:
			if !ok {
				return batch, again
			}
			if in[p.sc.TokenID] {
				again = append(again, p)
				continue
			}
			in[p.sc.TokenID] = true
			batch = append(batch, p)
		default:
			return batch, again
		}
	}
	return batch, again
}

// run commits batch and answers each of its successes.
func (b *batcher) run(batch []*pending) {
	live := batch[:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			p.done <- answer{err: err}
			continue
		}
		live = append(live, p)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		b.one(live[0])
		return
	}
	// The batch outlives any one caller; statement_timeout bounds it.
	ctx := context.Background()
	changed, err := b.s.commitMany(ctx, live)
	for _, p := range live {
		switch {
		case err != nil:
			b.one(p)
		case changed[p.sc.TokenID]:
			b.batched.Add(1)
			p.done <- answer{c: store.Committed}
		default:
			c, err := b.s.commitState(p.ctx, p.sc)
			p.done <- answer{c: c, err: err}
		}
	}
}

// one commits p alone, in commitSuccess's single statement.
func (b *batcher) one(p *pending) {
	c, err := b.s.commitOne(p.ctx, p.sc)
	p.done <- answer{c: c, err: err}
}

// commitMany runs commitBatch for batch and returns the tokens it changed.
func (s *Store) commitMany(ctx context.Context, batch []*pending) (map[string]bool, error) {
	n := len(batch)
	var (
		ids                                          = make([]string, n)
		next, drift, now, at                         = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		actor, action, user, token, result, why, src = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	)
	for i, p := range batch {
		sc, e := p.sc, p.sc.Event
		ids[i], next[i], drift[i], now[i] = sc.TokenID, sc.Next, sc.Drift, sqlstore.Nanos(sc.Now)
		at[i] = sqlstore.Nanos(sqlstore.OrNow(e.Time))
		actor[i], action[i], user[i], token[i] = string(e.Actor), string(e.Action), e.User, e.TokenID
		result[i], why[i], src[i] = string(e.Result), e.Reason, e.Source
	}
	rows, err := s.pool.Query(ctx, commitBatch, ids, next, drift, now, at, actor, action, user, token, result, why, src)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	changed := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		changed[id] = true
	}
	return changed, rows.Err()
}
