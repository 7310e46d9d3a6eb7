package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"otpgate.dev/otpgate/internal/admin"
	"otpgate.dev/otpgate/internal/auditlog"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// Users is the answer of GET /api/v1/users.
type Users struct {
	Users []admin.UserSummary `json:"users"`
}

// Tokens is the answer of GET /api/v1/users/{user}.
type Tokens struct {
	Tokens []admin.TokenInfo `json:"tokens"`
}

// Changed lists the tokens a call changed.
type Changed struct {
	Tokens []string `json:"tokens"`
}

func (a *admins) list(r *http.Request, adm Admin) (int, any, error) {
	us, err := adm.List(r.Context())
	return http.StatusOK, Users{us}, err
}

func (a *admins) show(r *http.Request, adm Admin) (int, any, error) {
	ts, err := adm.Show(r.Context(), r.PathValue("user"), "")
	return http.StatusOK, Tokens{ts}, err
}

func (a *admins) delete(r *http.Request, adm Admin) (int, any, error) {
	return http.StatusNoContent, nil, adm.Delete(r.Context(), r.PathValue("user"))
}

func (a *admins) deleteToken(r *http.Request, adm Admin) (int, any, error) {
	return http.StatusNoContent, nil, adm.DeleteToken(r.Context(), r.PathValue("user"), r.PathValue("token"))
}

// TokenRequest names one token of the user, or none for all of them.
type TokenRequest struct {
	Token string `json:"token"`
}

func (a *admins) setEnabled(enabled bool) adminCall {
	return func(r *http.Request, adm Admin) (int, any, error) {
		var req TokenRequest
		if err := decodeOptional(r, &req); err != nil {
			return 0, nil, err
		}
		ids, err := adm.SetEnabled(r.Context(), r.PathValue("user"), req.Token, enabled)
		return http.StatusOK, Changed{ids}, err
	}
}

func (a *admins) unlock(r *http.Request, adm Admin) (int, any, error) {
	var req TokenRequest
	if err := decodeOptional(r, &req); err != nil {
		return 0, nil, err
	}
	ids, err := adm.Unlock(r.Context(), r.PathValue("user"), req.Token)
	return http.StatusOK, Changed{ids}, err
}

// ResyncRequest is the body of POST /api/v1/users/{user}/resync: two
// consecutive codes of the token.
type ResyncRequest struct {
	Code1 string `json:"code1"`
	Code2 string `json:"code2"`
}

func (a *admins) resync(r *http.Request, adm Admin) (int, any, error) {
	var req ResyncRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, &badRequest{err.Error()}
	}
	if req.Code1 == "" || req.Code2 == "" {
		return 0, nil, &badRequest{"resync takes code1 and code2, two codes the token showed one after the other"}
	}
	id, err := adm.Resync(r.Context(), r.PathValue("user"), req.Code1, req.Code2)
	return http.StatusOK, Changed{[]string{id}}, err
}

// EnrollRequest is the body of POST /api/v1/users/{user}/tokens. The
// secret is drawn by otpgate and returned once.
type EnrollRequest struct {
	Type       store.TokenType `json:"type"`      // totp (default), hotp, hotp-prefixed, yubico
	Digits     int             `json:"digits"`    // 6 (default) or 8
	Algorithm  string          `json:"algorithm"` // SHA1 (default), SHA256, SHA512
	Period     int             `json:"period"`    // TOTP seconds, 30 by default
	Counter    int64           `json:"counter"`   // the first HOTP counter
	Identifier string          `json:"identifier"`
	Comment    string          `json:"comment"`
	// Replace swaps the user's tokens for the new one; without it a user
	// with a token is refused (409).
	Replace bool `json:"replace"`
}

func (a *admins) enroll(r *http.Request, adm Admin) (int, any, error) {
	var req EnrollRequest
	if err := decode(r, &req); err != nil {
		return 0, nil, &badRequest{err.Error()}
	}
	spec, err := req.spec(r.PathValue("user"))
	if err != nil {
		return 0, nil, &badRequest{err.Error()}
	}
	en, err := admin.Prepare(spec, a.issuer)
	if err != nil {
		return 0, nil, &badRequest{err.Error()}
	}
	defer en.Clear()
	out, err := adm.Enroll(r.Context(), en, req.Replace)
	return http.StatusCreated, out, err
}

func (e *EnrollRequest) spec(user string) (enroll.Spec, error) {
	s := enroll.Spec{User: user, Type: e.Type, Comment: e.Comment, Counter: e.Counter, Identifier: e.Identifier}
	if s.Type == "" {
		s.Type = store.TOTP
	}
	if e.Digits == 0 && e.Algorithm == "" && e.Period == 0 {
		return s, nil
	}
	s.Params = otp.DefaultParams()
	if e.Digits != 0 {
		s.Params.Digits = e.Digits
	}
	if e.Algorithm != "" {
		alg, err := otp.ParseAlgorithm(e.Algorithm)
		if err != nil {
			return s, err
		}
		s.Params.Algorithm = alg
	}
	if e.Period != 0 {
		s.Params.Period = time.Duration(e.Period) * time.Second
	}
	return s, nil
}

// Audit is a page of GET /api/v1/audit, newest first. Next, when set, is
// the before= of the following page.
type Audit struct {
	Events []auditlog.Line `json:"events"`
	Next   *time.Time      `json:"next,omitempty"`
}

// Bounds of an audit page.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (a *admins) audit(r *http.Request, adm Admin) (int, any, error) {
	f, err := auditFilter(r)
	if err != nil {
		return 0, nil, err
	}
	es, err := adm.Audit(r.Context(), f)
	page := Audit{Events: make([]auditlog.Line, 0, len(es))}
	for _, e := range es {
		page.Events = append(page.Events, auditlog.NewLine(e))
	}
	if len(es) == f.Limit {
		next := es[len(es)-1].Time.UTC()
		page.Next = &next
	}
	return http.StatusOK, page, err
}

// auditFilter reads user=, since=, before= (RFC 3339 times) and limit=.
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{User: q.Get("user"), Limit: defaultAuditLimit}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"before", &f.Before}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, &badRequest{fmt.Sprintf("%s=%q is not an RFC 3339 time (e.g. 2026-11-23T08:00:00Z)", p.name, v)}
			}
			*p.dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return f, &badRequest{fmt.Sprintf("limit=%q is not a page size (accepted: 1 to %d)", v, maxAuditLimit)}
		}
		f.Limit = n
	}
	return f, nil
}

// decodeOptional reads a JSON body when there is one.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	if err := decode(r, v); err != nil {
		return &badRequest{err.Error()}
	}
	return nil
}
