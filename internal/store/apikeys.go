package store

import (
	"context"
	"time"
)

// APIKeyKind says how a caller of the HTTP front end proves it holds an
// API key (package apikey).
type APIKeyKind string

const (
	// BearerKey is a key sent whole in an Authorization header; the store
	// keeps only its SHA-256 hash.
	BearerKey APIKeyKind = "bearer"
	// YubicoClient is a client of the Yubico validation protocol: a numeric
	// client id and an HMAC-SHA1 key that signs requests and responses. The
	// key must be usable, so the store keeps it sealed, not hashed.
	YubicoClient APIKeyKind = "yubico"
)

// APIKey is one credential of the HTTP front end. It never holds a key in
// the clear.
type APIKey struct {
	ID    string // public: in logs, the audit trail, list and revoke
	Kind  APIKeyKind
	Scope string // what the key may do, e.g. "verify" or "admin"
	Name  string // the admin's note: who or what holds the key
	// Secret is the SHA-256 hash of a bearer key, or the sealed HMAC key of
	// a Yubico client (package secretbox, the ID as associated data).
	Secret  []byte
	Created time.Time
	Revoked time.Time // zero while the key is valid
}

// APIKeys keeps the HTTP front end's API keys. Revoked keys stay, so that
// an ID is never given out twice and the audit trail's IDs still name a key.
type APIKeys interface {
	// AddAPIKey stores k, whose ID, Kind, Scope and Secret must be set; a
	// zero Created is set to now, in k as in the row. A taken ID is
	// ErrExists.
	AddAPIKey(ctx context.Context, k *APIKey) error
	APIKey(ctx context.Context, id string) (APIKey, error) // ErrNotFound
	APIKeys(ctx context.Context) ([]APIKey, error)         // ordered by Created, then ID
	// RevokeAPIKey sets Revoked = now on a key that is not revoked yet; an
	// unknown or already revoked key is ErrNotFound.
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	// SetAPIKeySecret replaces the key's Secret, for a master-key rotation
	// that reseals a Yubico client's key. An unknown key is ErrNotFound.
	SetAPIKeySecret(ctx context.Context, id string, secret []byte) error
}
