package apikey_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlite"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	m    *apikey.Manager
	st   *sqlite.Store
	path string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otpgate.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(bytes.Repeat([]byte{7}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{m: apikey.New(st, box, func() time.Time { return t0 }), st: st, path: path}
}

func TestCreateAuthenticate(t *testing.T) {
	f := newFixture(t)
	c, err := f.m.Create(t.Context(), apikey.ScopeAdmin, "deploy script")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Key) != apikey.KeyLen || !strings.HasPrefix(c.Key, apikey.Prefix+c.ID+"_") || c.Secret != nil {
		t.Fatalf("Create() = %+v; want a %d-character key otpgate_ID_SECRET and no Secret", c, apikey.KeyLen)
	}
	k, err := f.m.Authenticate(t.Context(), c.Key)
	if err != nil || k.ID != c.ID || k.Scope != apikey.ScopeAdmin || k.Name != "deploy script" || k.Secret != nil {
		t.Fatalf("Authenticate(key) = %+v, %v; want key %s, scope admin, no Secret", k, err, c.ID)
	}
	stored, err := f.st.APIKey(t.Context(), c.ID)
	if err != nil || len(stored.Secret) != 32 || bytes.Contains(stored.Secret, []byte(c.Key[len(c.Key)-20:])) {
		t.Errorf("stored key = %+v, %v; want a 32-byte hash, not the key", stored, err)
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	f := newFixture(t)
	c, err := f.m.Create(t.Context(), apikey.ScopeVerify, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.m.Create(t.Context(), apikey.ScopeVerify, "")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(c.Key)
		b[i] = map[bool]byte{true: 'b', false: 'a'}[b[i] == 'a']
		return string(b)
	}
	secretOf := func(key string) string { return key[len(key)-52:] }
	cases := map[string]string{
		"empty":              "",
		"truncated":          c.Key[:len(c.Key)-1],
		"one more character": c.Key + "a",
		"last character":     flip(len(c.Key) - 1),
		"first secret char":  flip(len(apikey.Prefix) + 17),
		"other ID":           flip(len(apikey.Prefix) + 3),
		"other key's secret": c.Key[:len(c.Key)-52] + secretOf(other.Key),
		"no prefix":          "xtpgate_" + c.Key[len(apikey.Prefix):],
		"upper case":         strings.ToUpper(c.Key),
		"separator":          c.Key[:len(apikey.Prefix)+16] + "-" + c.Key[len(apikey.Prefix)+17:],
		"bearer word":        "Bearer " + c.Key,
		"spaces":             " " + c.Key[1:],
	}
	for name, key := range cases {
		if k, err := f.m.Authenticate(t.Context(), key); !errors.Is(err, apikey.ErrInvalid) {
			t.Errorf("Authenticate(%s) = %+v, %v; want ErrInvalid", name, k, err)
		}
	}
	if err := f.m.Revoke(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Authenticate(t.Context(), c.Key); !errors.Is(err, apikey.ErrInvalid) {
		t.Errorf("Authenticate(revoked) = %v; want ErrInvalid", err)
	}
	if _, err := f.m.Authenticate(t.Context(), other.Key); err != nil {
		t.Errorf("Authenticate(the other key) after revoking one = %v", err)
	}
	if err := f.m.Revoke(t.Context(), c.ID); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Revoke(revoked) = %v; want ErrNotFound", err)
	}
}

func TestCreateRefuses(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ scope, name, want string }{
		{"root", "", `scope "root" is not a scope (accepted: verify, admin)`},
		{"", "", `scope "" is not a scope`},
		{apikey.ScopeVerify, "a\nb", "control character"},
		{apikey.ScopeVerify, strings.Repeat("x", 201), "at most 200"},
	} {
		if _, err := f.m.Create(t.Context(), tt.scope, tt.name); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Create(%q, %q) = %v; want an error with %q", tt.scope, tt.name, err, tt.want)
		}
	}
	if ks, err := f.m.List(t.Context()); err != nil || len(ks) != 0 {
		t.Errorf("List() after refusals = %v, %v; want nothing stored", ks, err)
	}
}

func TestYubicoClients(t *testing.T) {
	f := newFixture(t)
	var ids []string
	var keys [][]byte
	for range 3 {
		c, err := f.m.CreateYubico(t.Context(), "pam_yubico")
		if err != nil {
			t.Fatal(err)
		}
		key, err := base64.StdEncoding.DecodeString(c.Key)
		if err != nil || len(key) != apikey.YubicoKeySize || c.Kind != store.YubicoClient || c.Scope != apikey.ScopeVerify {
			t.Fatalf("CreateYubico() = %+v (key %v); want a 20-byte base64 key, kind yubico, scope verify", c, err)
		}
		ids, keys = append(ids, c.ID), append(keys, key)
	}
	if strings.Join(ids, ",") != "1,2,3" {
		t.Errorf("client IDs = %v; want 1,2,3", ids)
	}
	for i, id := range ids {
		if got, err := f.m.YubicoKey(t.Context(), id); err != nil || !bytes.Equal(got, keys[i]) {
			t.Errorf("YubicoKey(%s) = %x, %v; want %x", id, got, err, keys[i])
		}
	}
	if err := f.m.Revoke(t.Context(), "3"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.YubicoKey(t.Context(), "3"); !errors.Is(err, apikey.ErrInvalid) {
		t.Errorf("YubicoKey(revoked) = %v; want ErrInvalid", err)
	}
	c, err := f.m.CreateYubico(t.Context(), "")
	if err != nil || c.ID != "4" {
		t.Errorf("CreateYubico() after revoking 3 = %+v, %v; want ID 4: a revoked ID is not given out again", c, err)
	}
	for _, id := range []string{"0", "5", "01", "", "k1"} {
		if _, err := f.m.YubicoKey(t.Context(), id); !errors.Is(err, apikey.ErrInvalid) {
			t.Errorf("YubicoKey(%q) = %v; want ErrInvalid", id, err)
		}
	}
}

// A Yubico client is no bearer key, and a bearer key no Yubico client.
func TestKindsApart(t *testing.T) {
	f := newFixture(t)
	b, err := f.m.Create(t.Context(), apikey.ScopeVerify, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.YubicoKey(t.Context(), b.ID); !errors.Is(err, apikey.ErrInvalid) {
		t.Errorf("YubicoKey(bearer key's ID) = %v; want ErrInvalid", err)
	}
}

// The sealed Yubico key is in no file of the store in the clear, and does not
// open under another master key.
func TestYubicoKeySealed(t *testing.T) {
	f := newFixture(t)
	c, err := f.m.CreateYubico(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(c.Key)
	f.st.Close()
	for _, p := range []string{f.path, f.path + "-wal"} {
		data, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(data, key) || bytes.Contains(data, []byte(c.Key)) {
			t.Errorf("%s holds the Yubico client's key in the clear", filepath.Base(p))
		}
	}
	st, err := sqlite.Open(t.Context(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, _ := secretbox.New(bytes.Repeat([]byte{8}, secretbox.KeySize))
	m := apikey.New(st, other, time.Now)
	if _, err := m.YubicoKey(t.Context(), c.ID); !errors.Is(err, secretbox.ErrWrongKey) {
		t.Errorf("YubicoKey() under another master key = %v; want ErrWrongKey", err)
	}
}

func TestListHidesSecrets(t *testing.T) {
	f := newFixture(t)
	if _, err := f.m.Create(t.Context(), apikey.ScopeVerify, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.CreateYubico(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	ks, err := f.m.List(t.Context())
	if err != nil || len(ks) != 2 {
		t.Fatalf("List() = %v, %v", ks, err)
	}
	for _, k := range ks {
		if k.Secret != nil || !k.Created.Equal(t0) {
			t.Errorf("List() entry %+v; want no Secret and Created %v", k, t0)
		}
	}
}

func FuzzAuthenticate(f *testing.F) {
	fx := newFixture(f)
	c, err := fx.m.Create(f.Context(), apikey.ScopeVerify, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Key)
	f.Add(c.Key[:40])
	f.Add(apikey.Prefix + c.ID + "_")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := fx.m.Authenticate(t.Context(), key)
		if err == nil && key != c.Key {
			t.Fatalf("Authenticate(%q) accepted key %s; only %q is a key", key, k.ID, c.Key)
		}
		if err != nil && !errors.Is(err, apikey.ErrInvalid) {
			t.Fatalf("Authenticate(%q) = %v; want ErrInvalid", key, err)
		}
	})
}
