package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

func testAPIKeys(t *testing.T, s store.Store) {
	if _, err := s.APIKey(ctx(t), "knone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("APIKey(unknown) = %v; want ErrNotFound", err)
	}
	if ks, err := s.APIKeys(ctx(t)); err != nil || len(ks) != 0 {
		t.Errorf("APIKeys() of an empty store = %v, %v; want none", ks, err)
	}
	bearer := store.APIKey{ID: "kbearer", Kind: store.BearerKey, Scope: "verify", Name: "web app",
		Secret: bytes.Repeat([]byte{0xab}, 32), Created: t0}
	yubico := store.APIKey{ID: "1", Kind: store.YubicoClient, Scope: "verify", Name: "pam_yubico",
		Secret: []byte{0, 1, 2, 0xff}, Created: t0.Add(1)}
	for _, k := range []*store.APIKey{&yubico, &bearer} {
		if err := s.AddAPIKey(ctx(t), k); err != nil {
			t.Fatalf("AddAPIKey(%q) = %v", k.ID, err)
		}
	}
	dup := bearer
	if err := s.AddAPIKey(ctx(t), &dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddAPIKey(taken ID) = %v; want ErrExists", err)
	}
	for _, want := range []store.APIKey{bearer, yubico} {
		if got, err := s.APIKey(ctx(t), want.ID); err != nil || !sameAPIKey(got, want) {
			t.Errorf("APIKey(%q) = %+v, %v; want %+v", want.ID, got, err, want)
		}
	}
	ks, err := s.APIKeys(ctx(t))
	if err != nil || len(ks) != 2 || !sameAPIKey(ks[0], bearer) || !sameAPIKey(ks[1], yubico) {
		t.Errorf("APIKeys() = %+v, %v; want bearer then yubico, by Created", ks, err)
	}
}

func testAPIKeyDefaults(t *testing.T, s store.Store) {
	k := store.APIKey{ID: "kdefault", Kind: store.BearerKey, Scope: "admin", Secret: []byte{1}}
	if err := s.AddAPIKey(ctx(t), &k); err != nil {
		t.Fatal(err)
	}
	if k.Created.IsZero() {
		t.Error("AddAPIKey left a zero Created in its argument")
	}
	if got, err := s.APIKey(ctx(t), k.ID); err != nil || !got.Created.Equal(k.Created) {
		t.Errorf("APIKey() = %+v, %v; want Created %v", got, err, k.Created)
	}
	for _, bad := range []store.APIKey{
		{Kind: store.BearerKey, Scope: "verify", Secret: []byte{1}},
		{ID: "k", Scope: "verify", Secret: []byte{1}},
		{ID: "k", Kind: store.BearerKey, Secret: []byte{1}},
		{ID: "k", Kind: store.BearerKey, Scope: "verify"},
	} {
		if err := s.AddAPIKey(ctx(t), &bad); err == nil {
			t.Errorf("AddAPIKey(%+v) = nil; want an error", bad)
		}
	}
}

func testRevokeAPIKey(t *testing.T, s store.Store) {
	k := store.APIKey{ID: "krevoke", Kind: store.BearerKey, Scope: "verify", Secret: []byte{1}, Created: t0}
	if err := s.AddAPIKey(ctx(t), &k); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx(t), "knone", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAPIKey(unknown) = %v; want ErrNotFound", err)
	}
	at := t0.Add(time.Hour)
	if err := s.RevokeAPIKey(ctx(t), k.ID, at); err != nil {
		t.Fatalf("RevokeAPIKey() = %v", err)
	}
	if err := s.RevokeAPIKey(ctx(t), k.ID, at.Add(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAPIKey(revoked) = %v; want ErrNotFound", err)
	}
	got, err := s.APIKey(ctx(t), k.ID)
	if err != nil || !got.Revoked.Equal(at) {
		t.Errorf("APIKey(revoked) = %+v, %v; want Revoked %v", got, err, at)
	}
	dup := k
	if err := s.AddAPIKey(ctx(t), &dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddAPIKey(revoked key's ID) = %v; want ErrExists: an ID is never given out twice", err)
	}
}

func testSetAPIKeySecret(t *testing.T, s store.Store) {
	k := store.APIKey{ID: "7", Kind: store.YubicoClient, Scope: "verify", Secret: []byte{1, 2}, Created: t0}
	if err := s.AddAPIKey(ctx(t), &k); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAPIKeySecret(ctx(t), "7", []byte{3, 4, 5}); err != nil {
		t.Fatalf("SetAPIKeySecret() = %v", err)
	}
	if got, err := s.APIKey(ctx(t), "7"); err != nil || !bytes.Equal(got.Secret, []byte{3, 4, 5}) || !got.Created.Equal(t0) {
		t.Errorf("APIKey() after SetAPIKeySecret = %+v, %v; want the new secret and nothing else changed", got, err)
	}
	if err := s.SetAPIKeySecret(ctx(t), "8", []byte{1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAPIKeySecret(unknown) = %v; want ErrNotFound", err)
	}
}

// Of many revocations of one key at once, exactly one succeeds.
func testRevokeAPIKeyRace(t *testing.T, s store.Store) {
	k := store.APIKey{ID: "krace", Kind: store.BearerKey, Scope: "verify", Secret: []byte{1}}
	if err := s.AddAPIKey(ctx(t), &k); err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
		errs []error
	)
	for i := range 32 {
		wg.Go(func() {
			err := s.RevokeAPIKey(ctx(t), k.ID, t0.Add(time.Duration(i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrNotFound):
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || len(errs) > 0 {
		t.Errorf("32 concurrent revocations: %d succeeded, errors %v; want exactly 1 and no error", wins, errs)
	}
}

func sameAPIKey(a, b store.APIKey) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Scope == b.Scope && a.Name == b.Name &&
		bytes.Equal(a.Secret, b.Secret) && a.Created.Equal(b.Created) && a.Revoked.Equal(b.Revoked)
}
