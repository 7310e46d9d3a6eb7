package testpeer

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use: the stdout and stderr
// of a peer process, or a logger's output, written by one goroutine while
// the test reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
