package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/web"
)

// Admin is what the admin API calls: package admin's Admin, the functions
// the admin commands call, acting for one caller.
type Admin interface {
	List(ctx context.Context) ([]admin.UserSummary, error)
	Show(ctx context.Context, user, tokenID string) ([]admin.TokenInfo, error)
	Delete(ctx context.Context, user string) error
	DeleteToken(ctx context.Context, user, tokenID string) error
	SetEnabled(ctx context.Context, user, tokenID string, enabled bool) ([]string, error)
	Unlock(ctx context.Context, user, tokenID string) ([]string, error)
	Resync(ctx context.Context, user, code1, code2 string) (string, error)
	Enroll(ctx context.Context, en *admin.Enrollment, replace bool) (admin.Enrolled, error)
	Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error)
}

// Trail records an event of the audit trail: the store.
type Trail interface {
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// admins serves the admin API.
type admins struct {
	as     func(actor, source string) Admin
	trail  Trail
	issuer string
	now    func() time.Time
}

// routes mounts every admin call on mux behind an admin key.
func (a *admins) routes(mux *http.ServeMux, auth *web.Auth) {
	for pattern, h := range map[string]adminCall{
		"GET /api/v1/users":                          a.list,
		"GET /api/v1/users/{user}":                   a.show,
		"DELETE /api/v1/users/{user}":                a.delete,
		"POST /api/v1/users/{user}/tokens":           a.enroll,
		"DELETE /api/v1/users/{user}/tokens/{token}": a.deleteToken,
		"POST /api/v1/users/{user}/enable":           a.setEnabled(true),
		"POST /api/v1/users/{user}/disable":          a.setEnabled(false),
		"POST /api/v1/users/{user}/unlock":           a.unlock,
		"POST /api/v1/users/{user}/resync":           a.resync,
		"GET /api/v1/audit":                          a.audit,
	} {
		mux.Handle(pattern, auth.Require(apikey.ScopeAdmin, a.serve(h)))
	}
}

// adminCall does one call for adm and returns the status and body of its
// answer; an error's status is errorStatus's.
type adminCall func(r *http.Request, adm Admin) (status int, body any, err error)

// errorStatus is the HTTP status of an admin error: 404 for an unknown
// user or token, 409 for a state that refuses the change, 503 when the
// store failed.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, admin.ErrNoUser), errors.Is(err, admin.ErrNoToken):
		return http.StatusNotFound
	case errors.Is(err, admin.ErrHasTokens), errors.Is(err, engine.ErrNoResyncToken), errors.Is(err, engine.ErrResyncNoMatch):
		return http.StatusConflict
	case errors.As(err, new(*badRequest)):
		return http.StatusBadRequest
	}
	return http.StatusServiceUnavailable
}

// badRequest is a request the caller must change.
type badRequest struct{ msg string }

func (b *badRequest) Error() string { return b.msg }

// serve runs h for the caller and audits the call, whatever its outcome,
// with the key's ID and the caller's address, before answering: a call
// that cannot be audited is answered 503.
func (a *admins) serve(h adminCall) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := source(r)
		status, body, err := h(r, a.as(Frontend, src))
		if err != nil {
			status = errorStatus(err)
		}
		ev := store.AuditEvent{Time: a.now(), Actor: Frontend, Action: store.Action("api " + r.Method + " " + r.Pattern[len(r.Method)+1:]),
			User: r.PathValue("user"), TokenID: r.PathValue("token"), Result: store.ResultOK, Source: src}
		if err != nil {
			ev.Result, ev.Reason = store.ResultFail, http.StatusText(status)
		}
		if aerr := a.trail.AppendAudit(r.Context(), ev); aerr != nil {
			web.WriteError(w, http.StatusServiceUnavailable, "the audit trail is unavailable; nothing was answered")
			return
		}
		web.RequestInfo(r).Result = string(ev.Result)
		switch {
		case err != nil && status == http.StatusServiceUnavailable:
			web.WriteError(w, status, "the store failed; try again")
		case err != nil:
			web.WriteError(w, status, err.Error())
		case body == nil:
			w.WriteHeader(status)
		default:
			web.WriteJSON(w, status, body)
		}
	})
}
