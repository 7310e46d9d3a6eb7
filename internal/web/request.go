package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
)

// Info is what the front end learned about a request: filled in by the
// middleware and by Auth, read by handlers and the access log.
type Info struct {
	// Source is the client's address, from X-Forwarded-For behind trusted
	// proxies.
	Source netip.Addr
	// KeyID is the ID of the API key or Yubico client the request
	// authenticated with; empty before or without one.
	KeyID string
	// Result is what the handler decided, for the access log: a login's
	// "accept" or "reject", a Yubico status. Never why.
	Result string
}

type infoKey struct{}

// RequestInfo returns r's Info. Outside the middleware it is a zero Info
// that nothing reads.
func RequestInfo(r *http.Request) *Info {
	if i, ok := r.Context().Value(infoKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}

func withInfo(r *http.Request, i *Info) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), infoKey{}, i))
}

// Error is the body of every error answer of the JSON API: what was wrong,
// for people; never why a login was refused.
type Error struct {
	Error string `json:"error"`
}

// WriteJSON writes v as the JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // the client may be gone; nothing to do about it
}

// WriteError writes an Error with status.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Error{Error: msg})
}
