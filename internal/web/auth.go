package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/store"
)

// Keys checks a bearer API key: package apikey's Manager.
type Keys interface {
	Authenticate(ctx context.Context, key string) (store.APIKey, error)
}

// Auth admits requests that carry an API key, in the Authorization header
// only, and limits each key's rate.
type Auth struct {
	keys   Keys
	perKey *Limiter
	log    *slog.Logger
}

// NewAuth returns an Auth over keys with perKey as each key's rate; log
// receives the store's failures (nil discards).
func NewAuth(keys Keys, perKey Rate, log *slog.Logger) (*Auth, error) {
	l, err := NewLimiter(perKey)
	if err != nil {
		return nil, errors.New("web: per-key rate: " + err.Error())
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Auth{keys: keys, perKey: l, log: log}, nil
}

// secretParams are the query parameters a key is sometimes put in. A
// request with one is refused, key right or not: the URL has already been
// written to some proxy's log, and the key should be revoked.
var secretParams = []string{"key", "api_key", "apikey", "token", "access_token"}

// Require admits a request whose Authorization header is "Bearer KEY" for a
// valid key of scope; it answers 401 otherwise (403 for another scope, 429
// past the key's rate, 503 when the store fails). The key's ID goes into
// the request's Info.
func (a *Auth) Require(scope string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range secretParams {
			if r.URL.Query().Has(p) {
				WriteError(w, http.StatusBadRequest, "API keys go in the Authorization header, never in the URL; revoke this key")
				return
			}
		}
		k, status, msg := a.authenticate(r)
		if status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="otpgate"`)
			}
			WriteError(w, status, msg)
			return
		}
		info := RequestInfo(r)
		info.KeyID = k.ID
		switch {
		case k.Scope != scope:
			WriteError(w, http.StatusForbidden, "this API key's scope is "+k.Scope+"; this call needs "+scope)
		case !a.Allow(k.ID):
			tooMany(w)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func (a *Auth) authenticate(r *http.Request) (store.APIKey, int, string) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return store.APIKey{}, http.StatusUnauthorized, `an API key is required: "Authorization: Bearer KEY"`
	}
	k, err := a.keys.Authenticate(r.Context(), strings.TrimSpace(key))
	switch {
	case errors.Is(err, apikey.ErrInvalid):
		return store.APIKey{}, http.StatusUnauthorized, "unknown, revoked or wrong API key"
	case err != nil:
		if r.Context().Err() == nil {
			a.log.Error("web: checking an API key", "err", err)
		}
		return store.APIKey{}, http.StatusServiceUnavailable, "the key store is unavailable; try again"
	}
	return k, 0, ""
}

// Allow takes one request from the key id's rate: the Yubico handler calls
// it for clients that sign instead of sending a bearer key.
func (a *Auth) Allow(id string) bool { return a.perKey.Allow("key " + id) }
