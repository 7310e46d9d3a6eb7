// Package api is otpgate's JSON API, version 1, under /api/v1/: the login
// call web applications and gateways make (POST /api/v1/verify), through the
// same login service as RADIUS and OpenVPN, and the admin calls scripts
// make. openapi.yaml, embedded and served at GET /api/v1/openapi.yaml, is
// its description; a test checks real answers against it.
//
// Use [New] and mount the handler on package web's server. Every call but
// the description needs an API key (package apikey) of the call's scope in
// "Authorization: Bearer KEY".
//
// # Answers
//
// A login answered is a 200 whatever the decision: "accept", "reject" or
// "challenge". A reject never says why (a wrong code, a lock, a replay look
// alike); the audit trail does. 4xx answers are the caller's mistakes, with
// an "error" that says what was wrong; 503 means the store or the password
// backend failed, and the login must be refused.
package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/web"
)

// Frontend names the API in the audit trail and metrics.
const Frontend = "http"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3 description.
func OpenAPI() []byte { return openAPI }

// Service is what the API needs of the login service (package auth).
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

// Config is what the handler serves.
type Config struct {
	Auth    *web.Auth // checks the callers' API keys
	Service Service
	// Admin returns the admin functions acting as actor from source, for
	// the audit trail; nil leaves the admin API out.
	Admin  func(actor, source string) Admin
	Trail  Trail            // where each admin call is audited
	Issuer string           // of the otpauth URIs enrollment returns
	Now    func() time.Time // nil is time.Now
}

// New returns the handler of every path under /api/v1/.
func New(c Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPI)
	})
	mux.Handle("POST /api/v1/verify", c.Auth.Require(apikey.ScopeVerify, verifyHandler{c.Service}))
	if c.Admin != nil {
		if c.Now == nil {
			c.Now = time.Now
		}
		(&admins{as: c.Admin, trail: c.Trail, issuer: c.Issuer, now: c.Now}).routes(mux, c.Auth)
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, _ *http.Request) {
		web.WriteError(w, http.StatusNotFound, "no such API call; see /api/v1/openapi.yaml")
	})
	return mux
}
