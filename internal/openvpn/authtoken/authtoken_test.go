package authtoken

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// fixedKey is the key 00 01 02 ... 1f.
func fixedKey() *Key {
	k := new(Key)
	for i := range k.k {
		k.k[i] = byte(i)
	}
	return k
}

func TestSignVerify(t *testing.T) {
	k := fixedKey()
	tok, c, err := k.Sign("alice", "cert-digest", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != Len || Len != 92 || !strings.HasPrefix(tok, Prefix) {
		t.Errorf("token %q is %d long; want %d with prefix %q", tok, len(tok), 92, Prefix)
	}
	if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Errorf("token %q holds characters outside [A-Za-z0-9_-]", tok)
	}
	got, err := k.Verify(tok, "alice", "cert-digest", now.Add(59*time.Minute))
	if err != nil || got != c || !got.Issued.Equal(now) || !got.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("Verify = %+v, %v; want %+v", got, err, c)
	}
	for _, tt := range []struct {
		name          string
		tok, user, bd string
		at            time.Time
		want          error
	}{
		{"other user", tok, "bob", "cert-digest", now, ErrInvalid},
		{"user and binding shifted", tok, "alicec", "ert-digest", now, ErrInvalid},
		{"other binding", tok, "alice", "other", now, ErrInvalid},
		{"no binding", tok, "alice", "", now, ErrInvalid},
		{"expired", tok, "alice", "cert-digest", now.Add(time.Hour), ErrExpired},
		{"issued in the future", tok, "alice", "cert-digest", now.Add(-MaxSkew - time.Second), ErrExpired},
		{"within skew", tok, "alice", "cert-digest", now.Add(-MaxSkew), nil},
		{"other key", mustSign(t, mustKey(t), "alice", "cert-digest"), "alice", "cert-digest", now, ErrInvalid},
		{"truncated", tok[:Len-1], "alice", "cert-digest", now, ErrMalformed},
		{"padded", tok + "=", "alice", "cert-digest", now, ErrMalformed},
		{"no prefix", "X" + tok[1:], "alice", "cert-digest", now, ErrMalformed},
		{"auth-gen-token", "SESS_ID_AT_" + strings.Repeat("A", 80), "alice", "", now, ErrMalformed},
		{"bad base64", tok[:Len-1] + "*", "alice", "cert-digest", now, ErrMalformed},
		{"empty", "", "alice", "", now, ErrMalformed},
	} {
		if _, err := k.Verify(tt.tok, tt.user, tt.bd, tt.at); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Errorf("%s: Verify = %v; want %v", tt.name, err, tt.want)
		}
	}
	for i := len(Prefix); i < Len; i++ {
		b := []byte(tok)
		b[i] = flip(b[i])
		if _, err := k.Verify(string(b), "alice", "cert-digest", now); err == nil {
			t.Errorf("token with character %d changed verified", i)
		}
	}
}

func flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

func TestSignLifetime(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, MaxLifetime + time.Second} {
		if _, _, err := fixedKey().Sign("alice", "", now, d); err == nil {
			t.Errorf("Sign with lifetime %v = nil error", d)
		}
	}
}

func TestSignFreshIDs(t *testing.T) {
	k := fixedKey()
	a, ca, _ := k.Sign("alice", "", now, time.Hour)
	b, cb, _ := k.Sign("alice", "", now, time.Hour)
	if a == b || ca.ID == cb.ID {
		t.Errorf("two tokens share an id: %q, %q", a, b)
	}
}

func mustKey(t *testing.T) *Key {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSign(t *testing.T, k *Key, user, binding string) string {
	tok, _, err := k.Sign(user, binding, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.key")
	k, err := WriteKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v; want 0600", fi.Mode().Perm())
	}
	if _, err := WriteKeyFile(path); err == nil {
		t.Errorf("WriteKeyFile overwrote an existing key")
	}
	k2, err := LoadKey(path)
	if err != nil || k2.k != k.k {
		t.Fatalf("LoadKey = %v; want the written key", err)
	}
	tok := mustSign(t, k, "alice", "")
	if _, err := k2.Verify(tok, "alice", "", now); err != nil {
		t.Errorf("a token from one server does not verify on another with the same key file: %v", err)
	}
	os.Chmod(path, 0o604)
	if _, err := LoadKey(path); err == nil {
		t.Errorf("LoadKey accepted a world-readable key file")
	}
	for _, bad := range []string{
		"", "junk", strings.Replace(string(k.MarshalPEM()), pemType, "OPENVPN STATIC KEY V1", 2),
		string(k.MarshalPEM()) + "trailing", "-----BEGIN " + pemType + "-----\nAAAA\n-----END " + pemType + "-----\n",
	} {
		if _, err := ParseKey([]byte(bad)); err == nil {
			t.Errorf("ParseKey(%q) = nil error", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	k := fixedKey()
	tok, _, _ := k.Sign("alice", "d", now, time.Hour)
	f.Add(tok, "alice", "d")
	f.Add(tok[:40], "alice", "")
	f.Add("SESS_ID_AT_x", "", "")
	f.Fuzz(func(t *testing.T, s, user, binding string) {
		c, err := k.Verify(s, user, binding, now)
		if err != nil {
			return
		}
		// Only tokens this key signed for alice and "d" verify (the
		// seed's id is random per process, so compare the claims).
		if user != "alice" || binding != "d" || !c.Issued.Equal(now) {
			t.Errorf("Verify(%q, %q, %q) = %+v, nil for a token this test never signed", s, user, binding, c)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(fixedKey().MarshalPEM())
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b)
		if err != nil {
			return
		}
		if k2, err := ParseKey(k.MarshalPEM()); err != nil || k2.k != k.k {
			t.Errorf("round trip of a parsed key failed: %v", err)
		}
	})
}
