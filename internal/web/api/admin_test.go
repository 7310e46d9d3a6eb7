package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/tokenspec"
	"otpgate.dev/otpgate/internal/web/api"
)

// adminCall calls the admin API with the admin key and decodes the answer
// into out when it is not nil.
func (f *fixture) adminCall(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	status, b := f.call(t, method, path, f.adm, ctype, []byte(body))
	if out != nil && status < 300 {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			t.Fatalf("%s %s answered %q: %v", method, path, b, err)
		}
	}
	return status
}

// An admin script manages users through the admin API: the calls of the
// command line, each audited with the key's ID and the caller's address.
func TestAdminAPI(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	var users api.Users
	if st := f.adminCall(t, "GET", "/api/v1/users", "", &users); st != 200 || len(users.Users) != 1 || users.Users[0].User != "alice" {
		t.Fatalf("GET /users = %d %+v", st, users)
	}
	var en struct {
		ID, Secret, URI string
		Replaced        []string
	}
	if st := f.adminCall(t, "POST", "/api/v1/users/bob/tokens", `{"type":"hotp","comment":"laptop"}`, &en); st != 201 ||
		!strings.HasPrefix(en.URI, "otpauth://hotp/Example:bob?secret="+en.Secret) || en.ID == "" {
		t.Fatalf("enroll bob = %d %+v", st, en)
	}
	if st := f.adminCall(t, "POST", "/api/v1/users/bob/tokens", `{"type":"hotp"}`, nil); st != 409 {
		t.Errorf("a second enroll of bob = %d; want 409", st)
	}
	old := en.ID
	if st := f.adminCall(t, "POST", "/api/v1/users/bob/tokens", `{"type":"hotp","replace":true}`, &en); st != 201 || len(en.Replaced) != 1 || en.Replaced[0] != old {
		t.Errorf("enroll bob with replace = %d %+v; want the old token %s replaced", st, en, old)
	}
	var tokens api.Tokens
	if st := f.adminCall(t, "GET", "/api/v1/users/bob", "", &tokens); st != 200 || len(tokens.Tokens) != 1 || tokens.Tokens[0].ID != en.ID {
		t.Errorf("GET /users/bob = %d %+v", st, tokens)
	}
	var changed api.Changed
	if st := f.adminCall(t, "POST", "/api/v1/users/alice/disable", "", &changed); st != 200 || len(changed.Tokens) != 1 {
		t.Errorf("disable alice = %d %+v", st, changed)
	}
	if _, r, _ := f.verifyJSON(t, map[string]string{"user": "alice", "code": code(0)}); r.Result != "reject" {
		t.Errorf("verify of a disabled user = %+v; want reject", r)
	}
	if st := f.adminCall(t, "POST", "/api/v1/users/alice/enable", `{"token":"`+f.alice.ID+`"}`, &changed); st != 200 || changed.Tokens[0] != f.alice.ID {
		t.Errorf("enable alice's token = %d %+v", st, changed)
	}
	if _, r, _ := f.verifyJSON(t, map[string]string{"user": "alice", "code": code(0)}); r.Result != "accept" {
		t.Errorf("verify after enable = %+v; want accept", r)
	}
	if st := f.adminCall(t, "POST", "/api/v1/users/alice/unlock", "", &changed); st != 200 || changed.Tokens[0] != f.alice.ID {
		t.Errorf("unlock alice = %d %+v", st, changed)
	}
	// bob's HOTP token shows counters 5 and 6: resync moves it past them.
	secret, err := tokenspec.DecodeBase32(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	p := otp.DefaultParams()
	body := `{"code1":"` + otp.Generate(secret, 5, p) + `","code2":"` + otp.Generate(secret, 6, p) + `"}`
	if st := f.adminCall(t, "POST", "/api/v1/users/bob/resync", body, &changed); st != 200 || changed.Tokens[0] != en.ID {
		t.Errorf("resync bob = %d %+v", st, changed)
	}
	if st := f.adminCall(t, "POST", "/api/v1/users/bob/resync", body, nil); st != 409 {
		t.Errorf("resync with used codes = %d; want 409", st)
	}
	if st := f.adminCall(t, "DELETE", "/api/v1/users/bob/tokens/"+en.ID, "", nil); st != 204 {
		t.Errorf("delete bob's token = %d", st)
	}
	if st := f.adminCall(t, "DELETE", "/api/v1/users/bob", "", nil); st != 204 {
		t.Errorf("delete bob = %d", st)
	}
	if st := f.adminCall(t, "GET", "/api/v1/users/bob", "", nil); st != 404 {
		t.Errorf("GET a deleted user = %d; want 404", st)
	}

	events, err := f.site.Store.Audit(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, e := range events {
		if strings.HasPrefix(string(e.Action), "api ") {
			calls++
			if e.Actor != api.Frontend || !strings.HasPrefix(e.Source, "127.0.0.1 key k") {
				t.Errorf("audit event %+v; want actor http and the caller's address and key", e)
			}
		}
		if e.Action == "enroll" && e.Actor != api.Frontend {
			t.Errorf("enroll audited as %+v; want the API's actor", e)
		}
	}
	if calls != 13 {
		t.Errorf("the audit trail has %d admin API calls; want every one of the 13", calls)
	}
	f.c.Covered(t, "GET /api/v1/users 200", "POST /api/v1/users/{user}/tokens 201", "POST /api/v1/users/{user}/tokens 409",
		"GET /api/v1/users/{user} 200", "GET /api/v1/users/{user} 404", "POST /api/v1/users/{user}/disable 200",
		"POST /api/v1/users/{user}/enable 200", "POST /api/v1/users/{user}/unlock 200", "POST /api/v1/users/{user}/resync 200",
		"POST /api/v1/users/{user}/resync 409", "DELETE /api/v1/users/{user}/tokens/{token} 204", "DELETE /api/v1/users/{user} 204")
}

func TestAdminAuditPages(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	for i := range 5 {
		f.verifyJSON(t, map[string]string{"user": "alice", "code": code(10 + i)})
	}
	var seen []string
	next := ""
	for page := 0; page < 10; page++ {
		q := url.Values{"user": {"alice"}, "limit": {"2"}}
		if next != "" {
			q.Set("before", next)
		}
		var p api.Audit
		if st := f.adminCall(t, "GET", "/api/v1/audit?"+q.Encode(), "", &p); st != 200 {
			t.Fatalf("audit page %d = %d", page, st)
		}
		for _, e := range p.Events {
			seen = append(seen, e.Time)
		}
		if p.Next == nil {
			break
		}
		next = p.Next.Format(time.RFC3339Nano)
	}
	if len(seen) != 5 { // the 5 verifications
		t.Errorf("pages of 2 gave %d events of alice: %v; want 5", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Errorf("events not newest first, or repeated across pages: %v", seen)
		}
	}
	for _, bad := range []string{"limit=0", "limit=1001", "since=yesterday", "before=2026-13-01T00:00:00Z"} {
		if st := f.adminCall(t, "GET", "/api/v1/audit?"+bad, "", nil); st != 400 {
			t.Errorf("audit?%s = %d; want 400", bad, st)
		}
	}
	f.c.Covered(t, "GET /api/v1/audit 200", "GET /api/v1/audit 400")
}

func TestAdminRefuses(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	if st, _ := f.call(t, "GET", "/api/v1/users", f.verify, "", nil); st != 403 {
		t.Errorf("GET /users with a verify key = %d; want 403", st)
	}
	if st, _ := f.call(t, "GET", "/api/v1/users", "", "", nil); st != 401 {
		t.Errorf("GET /users without a key = %d; want 401", st)
	}
	for _, tt := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/users/carol/tokens", `{"type":"sms"}`, 400},
		{"POST", "/api/v1/users/carol/tokens", `{"digits":4}`, 400},
		{"POST", "/api/v1/users/carol/tokens", `{"secret":"AAAA"}`, 400},
		{"POST", "/api/v1/users/alice/resync", `{"code1":"1"}`, 400},
		{"POST", "/api/v1/users/carol/unlock", "", 404},
		{"POST", "/api/v1/users/alice/unlock", `{"token":"nope"}`, 404},
		{"DELETE", "/api/v1/users/alice/tokens/nope", "", 404},
		{"POST", "/api/v1/users/alice/disable", `{"tokens":["x"]}`, 400},
	} {
		if st := f.adminCall(t, tt.method, tt.path, tt.body, nil); st != tt.status {
			t.Errorf("%s %s %s = %d; want %d", tt.method, tt.path, tt.body, st, tt.status)
		}
	}
	if ks, _ := f.site.Store.Users(t.Context()); len(ks) != 1 {
		t.Errorf("users after refused calls: %v; want alice alone", ks)
	}
}
