package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"otpgate.dev/otpgate/internal/auth"
)

// FuzzVerifyRequest feeds any body to the decoder of POST /api/v1/verify:
// it never panics, and what it accepts is one well-formed login.
func FuzzVerifyRequest(f *testing.F) {
	for _, s := range []string{
		`{"user":"alice","password":"pw","code":"123456"}`, `{"code":"vvcccccccccb"}`,
		`{"challenge_id":"X","code":"1"}`, `{"user":"a"}`, `{"code":1}`, `{} {}`, `[`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v VerifyRequest
		if err := decode(r, &v); err != nil {
			if strings.Contains(err.Error(), body) && len(body) > 8 {
				t.Fatalf("decode error %q quotes the body", err)
			}
			return
		}
		req, err := v.login()
		if err != nil {
			return
		}
		switch {
		case req.ChallengeID != "":
			if req.Code == "" || req.Password != "" {
				t.Fatalf("answer to a challenge %+v without a code or with a password", req)
			}
		case req.Style == auth.CodeOnly:
			if req.Password == "" || req.Code != "" {
				t.Fatalf("code-only login %+v without the code in Password", req)
			}
		case req.Style == auth.Separate, req.Style == auth.Challenge:
			if req.User == "" || req.Password == "" {
				t.Fatalf("login with a password %+v without user or password", req)
			}
		default:
			t.Fatalf("login %+v has no style", req)
		}
	})
}

// FuzzAdminRequests feeds any body to the admin API's decoders and any
// query to the audit filter: they never panic, and what they accept is in
// range.
func FuzzAdminRequests(f *testing.F) {
	f.Add(`{"type":"hotp","digits":8,"algorithm":"SHA256","period":60,"replace":true}`, "user=alice&limit=2&before=2026-01-01T00:00:00Z")
	f.Add(`{"code1":"1","code2":"2"}`, "since=2026-01-01T00:00:00.5Z")
	f.Add(`{"token":"X"}`, "limit=1001")
	f.Fuzz(func(t *testing.T, body, query string) {
		r := httptest.NewRequest("POST", "/api/v1/users/u/tokens", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var en EnrollRequest
		if decode(r, &en) == nil {
			if s, err := en.spec("u"); err == nil && s.Type == "" {
				t.Fatalf("spec(%q) has no type", body)
			}
		}
		for _, v := range []any{&ResyncRequest{}, &TokenRequest{}} {
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			decode(r, v)
		}
		r = httptest.NewRequest("GET", "/api/v1/audit", nil)
		r.URL.RawQuery = query
		if flt, err := auditFilter(r); err == nil && (flt.Limit < 1 || flt.Limit > maxAuditLimit) {
			t.Fatalf("auditFilter(%q) = limit %d", query, flt.Limit)
		}
	})
}
