package admin

import (
	"path/filepath"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/site"
)

// newTestAdmin returns an Admin over a new site in a temporary directory,
// with the engine's default policy and the clock now.
func newTestAdmin(t *testing.T, now func() time.Time) *Admin {
	t.Helper()
	s, err := site.Find(site.Env{Getenv: func(string) string { return "" }, UID: 1000},
		site.Flags{DB: filepath.Join(t.TempDir(), "otpgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Open(t.Context(), site.MayCreate)
	if err != nil {
		t.Fatal(err)
	}
	a := New(h, engine.DefaultPolicy(), now)
	t.Cleanup(func() { a.Close() })
	return a
}
