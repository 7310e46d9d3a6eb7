package site

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

func testSite(t *testing.T, db, key string) *Site {
	t.Helper()
	s, err := Find(envOf(1000, map[string]string{"HOME": "/nonexistent", EnvKeyFile: key}), Flags{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The modes: MustExist creates nothing, MayCreate creates a fresh site but
// never a key beside tokens, and a key of another site is refused by both.
func TestOpenModes(t *testing.T) {
	dir := t.TempDir()
	db, key := filepath.Join(dir, "otpgate.db"), filepath.Join(dir, "master.key")
	s := testSite(t, db, key)
	if _, err := s.Open(t.Context(), MustExist); !errors.Is(err, ErrNoStore) {
		t.Fatalf("Open(MustExist) of a fresh site = %v; want ErrNoStore", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("Open(MustExist) created the database: %v", err)
	}
	h, err := s.Open(t.Context(), MayCreate)
	if err != nil || len(h.Created) != 2 {
		t.Fatalf("Open(MayCreate) = %+v, %v; want the database and key created", h, err)
	}
	spec := enroll.Spec{User: "alice", Type: store.TOTP, Params: otp.DefaultParams()}
	if _, err := enroll.Enroll(t.Context(), h.Store, h.Box, spec, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.Close()

	if err := os.Rename(key, key+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(t.Context(), MustExist); !errors.Is(err, ErrNoKey) {
		t.Errorf("Open(MustExist) without the key = %v; want ErrNoKey", err)
	}
	if _, err := s.Open(t.Context(), MayCreate); err == nil {
		t.Errorf("Open(MayCreate) without the key beside tokens succeeded")
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Errorf("Open(MayCreate) made a key beside tokens: %v", err)
	}
	if _, err := secretbox.LoadOrCreate(key); err != nil { // another key
		t.Fatal(err)
	}
	for _, m := range []Mode{MustExist, MayCreate} {
		if _, err := s.Open(t.Context(), m); !errors.Is(err, secretbox.ErrWrongKey) {
			t.Errorf("Open(%d) with another site's key = %v; want ErrWrongKey", m, err)
		}
	}
	os.Rename(key+".away", key)
	created, err := s.Check(t.Context())
	if err != nil || len(created) != 0 {
		t.Errorf("Check of the whole site = %v, %v; want nothing to create", created, err)
	}
}
