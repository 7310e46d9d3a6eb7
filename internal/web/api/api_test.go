package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/primary"
	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/web/api"
	"otpgate.dev/otpgate/internal/web/webtest"
)

// secret is alice's TOTP seed: RFC 6238's SHA-1 test key.
var secret = []byte("12345678901234567890")

const password = "correct horse"

type fixture struct {
	site        *webtest.Site
	srv         *webtest.Server
	client      *http.Client
	c           *webtest.Contract
	verify, adm string // API keys
	alice       store.Token
}

func newFixture(t *testing.T, pol engine.Policy) *fixture {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ht, err := primary.ParseHtpasswd(strings.NewReader("alice:" + string(hash) + "\nbob:" + string(hash) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{site: webtest.NewSite(t, pol, auth.Config{Primary: ht}), c: webtest.NewContract(t, api.OpenAPI())}
	a, err := web.NewAuth(f.site.Keys, web.Rate{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	adm := func(actor, source string) api.Admin { return f.site.Admin(actor, source) }
	cfg := api.Config{Auth: a, Service: f.site.Service, Admin: adm, Trail: f.site.Store, Issuer: "Example"}
	f.srv = webtest.Serve(t, api.New(cfg), &testpeer.Buffer{}, nil)
	f.client = f.srv.CA.Client()
	for _, k := range []struct {
		scope string
		dst   *string
	}{{apikey.ScopeVerify, &f.verify}, {apikey.ScopeAdmin, &f.adm}} {
		c, err := f.site.Keys.Create(t.Context(), k.scope, "test")
		if err != nil {
			t.Fatal(err)
		}
		*k.dst = c.Key
	}
	f.alice = f.site.Enroll(t, enroll.Spec{User: "alice", Type: store.TOTP, Secret: secret})
	return f
}

// code is alice's TOTP code at now plus steps.
func code(steps int) string {
	p := otp.DefaultParams()
	return otp.Generate(secret, p.Step(time.Now())+uint64(steps), p)
}

// call sends a request and checks it and its answer against openapi.yaml.
func (f *fixture) call(t *testing.T, method, path, key, ctype string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	f.c.Check(t, req, body, resp, b)
	return resp.StatusCode, string(b)
}

func (f *fixture) verifyJSON(t *testing.T, v any) (int, api.VerifyResponse, string) {
	t.Helper()
	body, _ := json.Marshal(v)
	status, out := f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", body)
	var r api.VerifyResponse
	if status == 200 {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("verify answer %q: %v", out, err)
		}
	}
	return status, r, out
}

func TestVerify(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	yk := webtest.NewYubikey("vvcccccccccb")
	f.site.Enroll(t, yk.Spec("bob"))
	c0, c1 := code(0), code(1)
	tests := []struct {
		name string
		req  map[string]string
		want string
		user string
	}{
		{"password and code", map[string]string{"user": "alice", "password": password, "code": c0}, "accept", "alice"},
		{"the same code again", map[string]string{"user": "alice", "password": password, "code": c0}, "reject", ""},
		{"wrong password", map[string]string{"user": "alice", "password": "nope", "code": c1}, "reject", ""},
		{"code alone", map[string]string{"user": "alice", "code": c1}, "accept", "alice"},
		{"unknown user", map[string]string{"user": "carol", "code": c1}, "reject", ""},
		{"Yubico OTP naming its token", map[string]string{"code": yk.OTP(t, 1, 0)}, "accept", "bob"},
		{"Yubico OTP replayed", map[string]string{"code": yk.OTP(t, 1, 0)}, "reject", ""},
	}
	for _, tt := range tests {
		status, r, body := f.verifyJSON(t, tt.req)
		if status != 200 || r.Result != tt.want || r.User != tt.user || r.Challenge != nil {
			t.Errorf("%s: verify = %d %s; want %s for %q", tt.name, status, body, tt.want, tt.user)
		}
	}
	events, err := f.site.Store.Audit(t.Context(), store.AuditFilter{User: "alice", Limit: 1})
	if err != nil || len(events) != 1 || events[0].Actor != api.Frontend || !strings.HasPrefix(events[0].Source, "127.0.0.1 key k") {
		t.Errorf("alice's last audit event = %+v, %v; want actor http, source the address and key ID", events, err)
	}
}

func TestVerifyChallenge(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	status, r, body := f.verifyJSON(t, map[string]string{"user": "alice", "password": password})
	if status != 200 || r.Result != "challenge" || r.Challenge == nil || r.Challenge.ID == "" || r.Challenge.Prompt == "" ||
		!r.Challenge.Expires.After(time.Now()) {
		t.Fatalf("verify(password) = %d %s; want a challenge", status, body)
	}
	id := r.Challenge.ID
	if _, r, body := f.verifyJSON(t, map[string]string{"challenge_id": id, "code": code(0)}); r.Result != "accept" || r.User != "alice" {
		t.Errorf("answer to the challenge = %s; want accept for alice", body)
	}
	if _, r, body := f.verifyJSON(t, map[string]string{"challenge_id": id, "code": code(1)}); r.Result != "reject" {
		t.Errorf("second answer to the challenge = %s; want reject: a challenge is answered once", body)
	}
	if _, r, _ := f.verifyJSON(t, map[string]string{"user": "alice", "password": "wrong"}); r.Result != "reject" {
		t.Errorf("verify(wrong password) = %+v; want reject and no challenge", r)
	}
}

// Failed codes over HTTP count toward the token's lock, as every front
// end's do, and a locked token refuses the right code with the same answer.
func TestVerifyLockout(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures, pol.LockFor = 2, time.Hour
	f := newFixture(t, pol)
	for range 3 {
		f.verifyJSON(t, map[string]string{"user": "alice", "code": "000000"})
	}
	tok, err := f.site.Store.Token(t.Context(), f.alice.ID)
	if err != nil || tok.Failures < 3 || !tok.Locked(time.Now()) {
		t.Fatalf("alice's token after 3 wrong codes: %+v, %v; want failures counted and locked", tok, err)
	}
	if _, r, body := f.verifyJSON(t, map[string]string{"user": "alice", "code": code(0)}); r.Result != "reject" {
		t.Errorf("right code on a locked token = %s; want reject", body)
	}
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	long := strings.Repeat("1", 1025)
	tests := []struct {
		name, key, ctype, body string
		status                 int
		text                   string
	}{
		{"no key", "", "application/json", `{"code":"1"}`, 401, "API key is required"},
		{"admin key", f.adm, "application/json", `{"code":"1"}`, 403, "needs verify"},
		{"form body", f.verify, "application/x-www-form-urlencoded", "code=1", 400, "is not JSON"},
		{"unknown field", f.verify, "application/json", `{"user":"alice","otp":"1"}`, 400, `unknown field \"otp\"`},
		{"two objects", f.verify, "application/json", `{"code":"1"}{"code":"2"}`, 400, "more than one JSON value"},
		{"malformed", f.verify, "application/json", `{"code":"1`, 400, "ends early"},
		{"wrong type", f.verify, "application/json", `{"code":123456}`, 400, `field \"code\" must be a string`},
		{"nothing", f.verify, "application/json", `{"user":"alice"}`, 400, "nothing to verify"},
		{"password without user", f.verify, "application/json", `{"password":"x"}`, 400, "needs the user"},
		{"challenge with password", f.verify, "application/json", `{"challenge_id":"x","password":"p","code":"1"}`, 400, "no password"},
		{"long field", f.verify, "application/json", `{"user":"alice","code":"` + long + `"}`, 400, "longer than 1024"},
		{"huge body", f.verify, "application/json", `{"user":"` + strings.Repeat("a", web.DefaultMaxBody) + `"}`, 413, "larger than"},
	}
	for _, tt := range tests {
		status, body := f.call(t, "POST", "/api/v1/verify", tt.key, tt.ctype, []byte(tt.body))
		if status != tt.status || !strings.Contains(body, tt.text) {
			t.Errorf("%s: verify = %d %s; want %d with %q", tt.name, status, body, tt.status, tt.text)
		}
	}
	if strings.Contains(f.srv.Log.String(), password) {
		t.Error("the log holds a password")
	}
}

// A login service that fails answers 503: the caller must refuse.
func TestVerifyServiceDown(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.site.Store.Close()
	status, body := f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", []byte(`{"user":"alice","code":"123456"}`))
	if status != 503 {
		t.Errorf("verify with the store closed = %d %s; want 503", status, body)
	}
}

func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	status, body := f.call(t, "GET", "/api/v1/openapi.yaml", "", "", nil)
	if status != 200 || !strings.HasPrefix(body, "openapi: 3") {
		t.Errorf("GET /api/v1/openapi.yaml = %d %.40q", status, body)
	}
}

// Every answer of the API the tests drive is checked against openapi.yaml.
func TestContractCovered(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.verifyJSON(t, map[string]string{"user": "alice", "code": code(0)})
	f.call(t, "POST", "/api/v1/verify", "", "application/json", []byte(`{}`))
	f.call(t, "POST", "/api/v1/verify", f.adm, "application/json", []byte(`{}`))
	f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", []byte(`{}`))
	f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", bytes.Repeat([]byte("x"), web.DefaultMaxBody+1))
	f.call(t, "GET", "/api/v1/openapi.yaml", "", "", nil)
	f.site.Store.Close()
	f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", []byte(`{"code":"1"}`))
	f.c.Covered(t, "POST /api/v1/verify 503", "POST /api/v1/verify 200", "POST /api/v1/verify 400", "POST /api/v1/verify 401",
		"POST /api/v1/verify 403", "POST /api/v1/verify 413", "GET /api/v1/openapi.yaml 200")
}

// The client field names the user's machine: failed logins from it count
// against it whatever the user, and lock it out past the limit, while the
// caller (one server for many users) stays free.
func TestVerifyClientLimit(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	f.site.Enroll(t, enroll.Spec{User: "bob", Type: store.TOTP, Secret: secret})
	for i := range auth.DefaultClientLimit.MaxFailures {
		user := []string{"nobody", "nemo"}[i%2]
		f.verifyJSON(t, map[string]string{"user": user, "code": "000000", "client": "198.51.100.7"})
	}
	if _, r, body := f.verifyJSON(t, map[string]string{"user": "alice", "code": code(0), "client": "198.51.100.7"}); r.Result != "reject" {
		t.Errorf("right code from a locked-out client = %s; want reject", body)
	}
	if _, r, body := f.verifyJSON(t, map[string]string{"user": "bob", "code": code(0), "client": "203.0.113.9"}); r.Result != "accept" {
		t.Errorf("right code from another client = %s; want accept", body)
	}
	if st, body := f.call(t, "POST", "/api/v1/verify", f.verify, "application/json", []byte(`{"code":"1","client":"pc-17"}`)); st != 400 || !strings.Contains(body, "not an IP address") {
		t.Errorf("client pc-17 = %d %s; want 400", st, body)
	}
}

// TestVerifyRecoveryCode: a recovery code in the code field logs alice in
// once, with her password, and is refused the second time.
func TestVerifyRecoveryCode(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	codes, stored, err := recovery.Generate("alice", 1, recovery.DefaultDigits, time.Now())
	if err == nil {
		err = f.site.Store.SetRecoveryCodes(t.Context(), "alice", stored)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accept", "reject"} {
		status, r, body := f.verifyJSON(t, map[string]string{"user": "alice", "password": password, "code": codes[0]})
		if status != 200 || r.Result != want {
			t.Errorf("verify with the recovery code = %d %s; want %s", status, body, want)
		}
	}
}
