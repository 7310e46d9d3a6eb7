// Package apikey issues and checks the API keys of otpgate's HTTP front end
// (package web): bearer keys for the JSON API, and client ids with HMAC-SHA1
// keys for the Yubico validation protocol (package yubival).
//
// Use [New] over a store and the master key's box, then [Manager.Create] or
// [Manager.CreateYubico] (the key is in the result and nowhere else, to be
// shown once), [Manager.List] and [Manager.Revoke] by ID. The HTTP front end
// calls [Manager.Authenticate] for a bearer key and [Manager.YubicoKey] for
// a Yubico client.
//
// # What is stored
//
// A bearer key is otpgate_<id>_<secret>: a public ID of 16 characters and
// 256 random bits. The store keeps the SHA-256 hash of the ID and the secret
// together. The keys are random, not chosen by people, so a slow password
// hash would add nothing: no guess at 2^256 values ever succeeds, and a hash
// that leaks gives nothing to log in with. The hash is compared in constant
// time.
//
// A Yubico client's key is different: the server signs its responses with
// it (HMAC-SHA1, as yubikey-val does) and checks requests signed with it, so
// it must be usable and cannot be hashed. It is sealed under the master key
// (package secretbox) with the client's ID as associated data. Its ID is a
// decimal number, as Yubico clients (pam_yubico's id=) take it.
//
// A Manager is safe for concurrent use.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// Scopes: what a key may do.
const (
	// ScopeVerify checks codes: POST /api/v1/verify, and the Yubico
	// validation protocol.
	ScopeVerify = "verify"
	// ScopeAdmin manages users, tokens and reads the audit trail through
	// the admin API. It does not imply ScopeVerify.
	ScopeAdmin = "admin"
)

// Errors. Authenticate and YubicoKey answer every refusal with ErrInvalid, so
// that a caller cannot tell an unknown key from a revoked or wrong one.
var (
	ErrInvalid  = errors.New("apikey: unknown, revoked or wrong API key")
	ErrNotFound = errors.New("apikey: no such API key, or it is revoked already")
)

// Prefix starts every bearer key, so that secret scanners and people
// recognise one.
const Prefix = "otpgate_"

const (
	idLen     = 16 // bearer key IDs: 'k' and 15 base32 characters (75 bits)
	secretLen = 32 // bytes of a bearer key's secret: 256 bits
	// KeyLen is the length of a bearer key.
	KeyLen = len(Prefix) + idLen + 1 + (secretLen*8+4)/5
	// YubicoKeySize is the size of a Yubico client's HMAC-SHA1 key, as
	// yubikey-val's ykval-gen-clients makes them.
	YubicoKeySize = 20
	// maxNameLen bounds a key's note.
	maxNameLen = 200
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Manager issues, lists, revokes and checks API keys in a store.
type Manager struct {
	st  store.APIKeys
	box *secretbox.Box
	now func() time.Time
}

// New returns a Manager. box seals Yubico clients' keys; now is the clock.
func New(st store.APIKeys, box *secretbox.Box, now func() time.Time) *Manager {
	return &Manager{st: st, box: box, now: now}
}

// Created is a key just issued. Key is the only copy of the secret: show it
// once and drop it.
type Created struct {
	store.APIKey // without Secret
	// Key is a bearer key to send as "Authorization: Bearer KEY", or a
	// Yubico client's base64 HMAC key (pam_yubico's key=).
	Key string
}

// Create issues a bearer key with scope, and name as the admin's note.
func (m *Manager) Create(ctx context.Context, scope, name string) (Created, error) {
	if err := checkScope(scope); err != nil {
		return Created{}, err
	}
	if err := checkName(name); err != nil {
		return Created{}, err
	}
	id := "k" + b32.EncodeToString(random(10))[:idLen-1]
	secret := b32.EncodeToString(random(secretLen))
	k := store.APIKey{ID: id, Kind: store.BearerKey, Scope: scope, Name: name, Secret: hash(id, secret), Created: m.now()}
	if err := m.st.AddAPIKey(ctx, &k); err != nil {
		return Created{}, fmt.Errorf("apikey: create: %w", err)
	}
	k.Secret = nil
	return Created{APIKey: k, Key: Prefix + id + "_" + secret}, nil
}

// Authenticate returns the bearer key key is, or ErrInvalid when it is
// malformed, unknown, revoked or wrong. Other errors are the store's: the
// caller must refuse then too.
func (m *Manager) Authenticate(ctx context.Context, key string) (store.APIKey, error) {
	id, secret, ok := split(key)
	if !ok {
		return store.APIKey{}, ErrInvalid
	}
	k, err := m.st.APIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, ErrInvalid
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("apikey: %w", err)
	}
	sum := hash(id, secret)
	if subtle.ConstantTimeCompare(sum, k.Secret) != 1 || k.Kind != store.BearerKey || !k.Revoked.IsZero() {
		return store.APIKey{}, ErrInvalid
	}
	k.Secret = nil
	return k, nil
}

// split takes a bearer key apart; it says nothing of the secret's value.
func split(key string) (id, secret string, ok bool) {
	if len(key) != KeyLen || !strings.HasPrefix(key, Prefix) {
		return "", "", false
	}
	rest := key[len(Prefix):]
	id, secret = rest[:idLen], rest[idLen+1:]
	return id, secret, rest[idLen] == '_' && id[0] == 'k'
}

// hash is what the store keeps of a bearer key: the ID is in it, so that a
// hash moved to another row matches nothing.
func hash(id, secret string) []byte {
	h := sha256.New()
	h.Write([]byte("otpgate api key v1\x00" + id + "\x00"))
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// List returns every key, revoked ones too, without their secrets.
func (m *Manager) List(ctx context.Context) ([]store.APIKey, error) {
	ks, err := m.st.APIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("apikey: list: %w", err)
	}
	for i := range ks {
		ks[i].Secret = nil
	}
	return ks, nil
}

// Revoke revokes the key id; ErrNotFound when there is no such key or it
// is revoked already.
func (m *Manager) Revoke(ctx context.Context, id string) error {
	err := m.st.RevokeAPIKey(ctx, id, m.now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("apikey: revoke %q: %w", id, err)
	}
	return nil
}

func checkScope(scope string) error {
	switch scope {
	case ScopeVerify, ScopeAdmin:
		return nil
	}
	return fmt.Errorf("apikey: scope %q is not a scope (accepted: %s, %s)", scope, ScopeVerify, ScopeAdmin)
}

func checkName(name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("apikey: the name is %d bytes long (accepted: at most %d)", len(name), maxNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("apikey: the name holds the control character %q (accepted: printable text)", r)
		}
	}
	return nil
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}
