// Package yubico serves Yubico's validation protocol 2.0 at
// /wsapi/2.0/verify (package yubival has the wire format), so that
// pam_yubico, yubico-c-client and every other Yubico client checks Yubico
// OTPs against otpgate's store. An OTP goes through the login service as a
// code that names its token, so it meets the same replay check and lockout
// as the same OTP over RADIUS.
//
// Clients are made with `otpgate apikey create --yubico`: a numeric id and
// an HMAC-SHA1 key. otpgate refuses requests that are not signed with the
// client's key, and signs every answer with it.
//
// # Statuses
//
// OK for an accepted OTP; REPLAYED_OTP for an OTP of the right key that was
// used before (as yubikey-val says, and only when the token is not locked);
// BAD_OTP for every other refusal, a locked token's included, so that a
// lock looks like a wrong OTP; BAD_SIGNATURE, MISSING_PARAMETER (an
// unsigned request too) and NO_SUCH_CLIENT for the request's faults;
// BACKEND_ERROR when the store failed. Answers before the client is known
// are signed with the empty key, as yubikey-val signs them.
package yubico

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/yubival"
)

// Path is where the protocol is served.
const Path = "/wsapi/2.0/verify"

// Frontend names the protocol in the audit trail.
const Frontend = "yubico"

// Clients finds a Yubico client's key: package apikey's Manager.
type Clients interface {
	YubicoKey(ctx context.Context, id string) ([]byte, error)
}

// Service is what the handler needs of the login service.
type Service interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Response, error)
}

// Handler serves Path.
type Handler struct {
	Clients Clients
	Service Service
	Auth    *web.Auth // for each client's rate
	Now     func() time.Time
	Log     *slog.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "the Yubico validation protocol takes GET requests", http.StatusMethodNotAllowed)
		return
	}
	req, err := yubival.ParseRequest(r.URL.Query())
	if err != nil {
		h.answer(w, r, &req, yubival.ErrorStatus(err), nil)
		return
	}
	web.RequestInfo(r).KeyID = req.ID
	key, err := h.Clients.YubicoKey(r.Context(), req.ID)
	if err != nil {
		h.answer(w, r, &req, h.clientFailure(err), nil)
		return
	}
	defer clear(key)
	switch {
	case !req.Signed():
		h.answer(w, r, &req, yubival.MissingParameter, key)
	case !req.SignedBy(key):
		h.answer(w, r, &req, yubival.BadSignature, key)
	case !h.Auth.Allow(req.ID):
		// Counted only once signed: whoever knows a client's id must not
		// use up its rate.
		w.Header().Set("Retry-After", "1")
		web.WriteError(w, http.StatusTooManyRequests, "too many requests; slow down")
	default:
		h.answer(w, r, &req, h.verify(r, &req), key)
	}
}

func (h *Handler) clientFailure(err error) yubival.Status {
	if errors.Is(err, apikey.ErrInvalid) {
		return yubival.NoSuchClient
	}
	h.Log.Error("yubico: looking up the client", "err", err)
	return yubival.BackendError
}

// verify checks the OTP of a signed request.
func (h *Handler) verify(r *http.Request, req *yubival.Request) yubival.Status {
	resp, err := h.Service.Authenticate(r.Context(), auth.Request{
		Password: req.OTP, Style: auth.CodeOnly, Frontend: Frontend,
		Source: web.RequestInfo(r).Source.String() + " client " + req.ID,
	})
	if err != nil {
		if r.Context().Err() == nil {
			h.Log.Error("yubico: verifying an OTP", "err", err)
		}
		return yubival.BackendError
	}
	return status(resp)
}

// status is the protocol's name for the service's decision.
func status(resp auth.Response) yubival.Status {
	switch {
	case resp.Outcome == auth.Accept:
		return yubival.OK
	case strings.HasPrefix(resp.Reason, "replayed") && !strings.Contains(resp.Reason, engine.ReasonLocked):
		return yubival.ReplayedOTP
	}
	return yubival.BadOTP
}

// answer writes the signed response, and its status to the access log.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, req *yubival.Request, s yubival.Status, key []byte) {
	web.RequestInfo(r).Result = string(s)
	resp := yubival.For(req, s, h.Now())
	w.Header().Set("Content-Type", "text/plain; charset=us-ascii")
	w.Write(resp.Encode(key))
}
