package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"otpgate.dev/otpgate/internal/store"
)

// The gate lets one code at a time be checked against a token, in this
// process. Without it, a burst of guesses all read the token before the
// first failure was counted, and every one of them was checked: the lockout
// then bounded what the attacker learned only through the store's
// conditional write. With it, the guesses queue, and each reads the token
// again once its turn comes, so it sees the failures the ones before it
// counted and the lock they set. The store's conditional write stays the
// authority: other processes and nodes do not share this gate.
//
// A guess waits for its turn for as long as its context allows. A flood of
// guesses for one token is thereby slowed to one store write at a time
// for that token, while other tokens are not held up.

// gate holds a turn for each token being checked, and keeps idle turns for
// reuse: a verification should not cost an allocation here.
type gate struct {
	mu    sync.Mutex
	turns map[string]*turn
	idle  []*turn
}

// turn is one token's: ch holds a value while a check runs, and refs counts
// the requests holding or waiting for it, so that the map forgets idle
// tokens.
type turn struct {
	ch   chan struct{}
	refs int
}

func newGate() *gate { return &gate{turns: map[string]*turn{}} }

// enter takes the turns of ids, in ID order so that two requests sharing
// several tokens never wait for each other in a circle. It reports whether
// it had to wait for any. On error it holds none.
func (g *gate) enter(ctx context.Context, ids []string) (waited bool, err error) {
	for i, id := range ids {
		w, err := g.enterOne(ctx, id)
		if err != nil {
			g.leave(ids[:i])
			return false, fmt.Errorf("engine: waiting for another check of token %s: %w", id, err)
		}
		waited = waited || w
	}
	return waited, nil
}

func (g *gate) enterOne(ctx context.Context, id string) (bool, error) {
	g.mu.Lock()
	t := g.turns[id]
	if t == nil {
		t = g.newTurn()
		g.turns[id] = t
	}
	t.refs++
	g.mu.Unlock()
	select {
	case t.ch <- struct{}{}:
		return false, nil
	default:
	}
	select {
	case t.ch <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		g.release(id, t)
		return false, ctx.Err()
	}
}

// leave gives back the turns of ids.
func (g *gate) leave(ids []string) {
	for _, id := range ids {
		g.mu.Lock()
		t := g.turns[id]
		g.mu.Unlock()
		<-t.ch
		g.release(id, t)
	}
}

func (g *gate) release(id string, t *turn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.refs--; t.refs == 0 {
		delete(g.turns, id)
		if len(g.idle) < maxIdleTurns {
			g.idle = append(g.idle, t)
		}
	}
}

// maxIdleTurns bounds the turns kept for reuse: about as many as there can
// be verifications in flight.
const maxIdleTurns = 4096

// newTurn returns an idle turn or a new one; g.mu is held.
func (g *gate) newTurn() *turn {
	if n := len(g.idle); n > 0 {
		t := g.idle[n-1]
		g.idle = g.idle[:n-1]
		return t
	}
	return &turn{ch: make(chan struct{}, 1)}
}

// gated appends to ids the IDs of the enabled tokens of toks, in ID order:
// the turns a verification takes.
func gated(ids []string, toks []store.Token) []string {
	for i := range toks {
		if toks[i].Enabled {
			ids = append(ids, toks[i].ID)
		}
	}
	if len(ids) > 1 {
		slices.Sort(ids)
	}
	return ids
}

// reread reads toks again, dropping those deleted meanwhile: a request that
// waited for its turn must see what the requests before it stored.
func (e *Engine) reread(ctx context.Context, toks []store.Token) ([]store.Token, error) {
	var fresh []store.Token
	for i := range toks {
		t, err := e.st.Token(ctx, toks[i].ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("engine: read token %s again: %w", toks[i].ID, err)
		}
		fresh = append(fresh, t)
	}
	return fresh, nil
}
