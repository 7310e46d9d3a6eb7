package sqlite

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestReadersConcurrent: many goroutines reading at once through the few
// readers each get their own answer, and a read whose context ended gets
// the context's error.
func TestReadersConcurrent(t *testing.T) {
	s, _ := openTemp(t)
	ids := tokens(t, s, 8)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			id := ids[g%len(ids)]
			for range 20 {
				ts, err := s.Tokens(context.Background(), "user-"+id)
				if err != nil || len(ts) != 1 || ts[0].ID != id {
					t.Errorf("Tokens(user-%s) = %d tokens, %v; want its one token", id, len(ts), err)
					return
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Token(ctx, ids[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(canceled context) = %v; want context.Canceled", err)
	}
}

// TestCloseDuringReads: Close answers or refuses every read in flight and
// does not wait for reads that come after it.
func TestCloseDuringReads(t *testing.T) {
	s, _ := openTemp(t)
	ids := tokens(t, s, 4)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 32 {
		wg.Go(func() {
			<-start
			for i := range 50 {
				_, err := s.Token(context.Background(), ids[(g+i)%len(ids)])
				if err != nil && !errors.Is(err, errClosed) {
					t.Errorf("Token during Close = %v; want a token or a closed store", err)
					return
				}
			}
		})
	}
	close(start)
	if err := s.Close(); err != nil {
		t.Errorf("Close during reads = %v", err)
	}
	wg.Wait()
	if _, err := s.Tokens(context.Background(), "user-"+ids[0]); !errors.Is(err, errClosed) {
		t.Errorf("Tokens after Close = %v; want %v", err, errClosed)
	}
}
