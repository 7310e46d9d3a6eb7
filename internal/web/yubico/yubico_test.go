package yubico_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/auth"
	"otpgate.dev/otpgate/internal/engine"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/web/api"
	"otpgate.dev/otpgate/internal/web/webtest"
	"otpgate.dev/otpgate/internal/web/yubico"
	"otpgate.dev/otpgate/internal/yubival"
)

type fixture struct {
	site   *webtest.Site
	srv    *webtest.Server
	client *http.Client
	c      *webtest.Contract
	id     string
	key    []byte
	yk     *webtest.Yubikey
	tok    store.Token
}

func newFixture(t *testing.T, pol engine.Policy) *fixture {
	t.Helper()
	return newFixtureRate(t, pol, web.Rate{})
}

// newFixtureRate is newFixture with perKey as each client's rate.
func newFixtureRate(t *testing.T, pol engine.Policy, perKey web.Rate) *fixture {
	t.Helper()
	f := &fixture{site: webtest.NewSite(t, pol, auth.Config{}), c: webtest.NewContract(t, api.OpenAPI())}
	a, err := web.NewAuth(f.site.Keys, perKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := &testpeer.Buffer{}
	h := &yubico.Handler{Clients: f.site.Keys, Service: f.site.Service, Auth: a, Now: time.Now, Log: webtest.Logger(log)}
	mux := http.NewServeMux()
	mux.Handle(yubico.Path, h)
	f.srv = webtest.Serve(t, mux, log, nil)
	f.client = f.srv.CA.Client()
	c, err := f.site.Keys.CreateYubico(t.Context(), "pam_yubico")
	if err != nil {
		t.Fatal(err)
	}
	f.id = c.ID
	f.key, _ = base64.StdEncoding.DecodeString(c.Key)
	f.yk = webtest.NewYubikey("vvcccccccccb")
	f.tok = f.site.Enroll(t, f.yk.Spec("alice"))
	return f
}

const nonce = "0123456789abcdefABCDEF"

// get sends a verify request with params, signed with key when key is not
// nil, and returns the answer's parameters, checked against openapi.yaml.
func (f *fixture) get(t *testing.T, params map[string]string, key []byte) map[string]string {
	t.Helper()
	if key != nil {
		params["h"] = yubival.Sign(params, key)
	}
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+yubico.Path+"?"+q.Encode(), nil)
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	f.c.Check(t, req, nil, resp, body)
	out := map[string]string{}
	for _, field := range strings.Fields(string(body)) {
		k, v, _ := strings.Cut(field, "=")
		out[k] = v
	}
	return out
}

func (f *fixture) params(otp string) map[string]string {
	return map[string]string{"id": f.id, "otp": otp, "nonce": nonce}
}

func TestStatuses(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	wrongKey := append([]byte(nil), f.key...)
	wrongKey[0] ^= 1
	otherAES := *f.yk
	otherAES.Key = make([]byte, 16)
	first, second := f.yk.OTP(t, 3, 0), f.yk.OTP(t, 3, 1)
	tests := []struct {
		name   string
		params map[string]string
		key    []byte
		want   yubival.Status
		signed []byte // the key the answer must verify under
	}{
		{"right", f.params(first), f.key, yubival.OK, f.key},
		{"replayed", f.params(first), f.key, yubival.ReplayedOTP, f.key},
		{"wrong client key", f.params(second), wrongKey, yubival.BadSignature, f.key},
		{"unsigned", f.params(second), nil, yubival.MissingParameter, f.key},
		{"unknown client", map[string]string{"id": "99", "otp": second, "nonce": nonce}, f.key, yubival.NoSuchClient, nil},
		{"no nonce", map[string]string{"id": f.id, "otp": second}, f.key, yubival.MissingParameter, nil},
		{"not an OTP", f.params("cccccccccccc"), f.key, yubival.BadOTP, nil},
		{"wrong AES key", f.params(otherAES.OTP(t, 4, 0)), f.key, yubival.BadOTP, f.key},
		{"next press still good", f.params(second), f.key, yubival.OK, f.key},
	}
	for _, tt := range tests {
		got := f.get(t, tt.params, tt.key)
		if got["status"] != string(tt.want) {
			t.Errorf("%s: status = %q (answer %v); want %s", tt.name, got["status"], got, tt.want)
			continue
		}
		if !yubival.Verify(got, got["h"], tt.signed) {
			t.Errorf("%s: the answer %v is not signed with the expected key", tt.name, got)
		}
		if got["t"] == "" {
			t.Errorf("%s: no t in %v", tt.name, got)
		}
		if tt.signed != nil && (got["otp"] != tt.params["otp"] || got["nonce"] != nonce || got["sl"] != "100") {
			t.Errorf("%s: answer %v does not echo the otp and nonce with sl=100", tt.name, got)
		}
	}
	events, _ := f.site.Store.Audit(t.Context(), store.AuditFilter{User: "alice", Limit: 1})
	if len(events) != 1 || events[0].Actor != yubico.Frontend || events[0].Source != "127.0.0.1 client "+f.id {
		t.Errorf("alice's last audit event = %+v; want actor yubico, source the address and client", events)
	}
	if log := f.srv.Log.String(); strings.Contains(log, first) || !strings.Contains(log, "key="+f.id) || strings.Contains(log, "otp=") {
		t.Errorf("access log %q; want the client id and no OTP", log)
	}
}

// A locked token answers BAD_OTP, as a wrong OTP does, and the failures are
// the token's, counted as every front end counts them.
func TestLockedLooksBad(t *testing.T) {
	pol := engine.DefaultPolicy()
	pol.MaxFailures, pol.LockFor = 1, time.Hour
	f := newFixture(t, pol)
	other := *f.yk
	other.Key = make([]byte, 16)
	for i := range 3 {
		f.get(t, f.params(other.OTP(t, 1, uint8(i))), f.key)
	}
	if got := f.get(t, f.params(f.yk.OTP(t, 2, 0)), f.key); got["status"] != string(yubival.BadOTP) {
		t.Errorf("right OTP on a locked token: %v; want BAD_OTP", got)
	}
	tok, _ := f.site.Store.Token(t.Context(), f.tok.ID)
	if !tok.Locked(time.Now()) || tok.Next != 0 {
		t.Errorf("token %+v; want locked and the OTP not used", tok)
	}
}

func TestRevokedClient(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	if err := f.site.Keys.Revoke(t.Context(), f.id); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, f.params(f.yk.OTP(t, 1, 0)), f.key); got["status"] != string(yubival.NoSuchClient) {
		t.Errorf("revoked client: %v; want NO_SUCH_CLIENT", got)
	}
}

func TestOnlyGet(t *testing.T) {
	f := newFixture(t, engine.DefaultPolicy())
	resp, err := f.client.Post(f.srv.URL+yubico.Path, "application/x-www-form-urlencoded", strings.NewReader("id=1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d; want 405", resp.StatusCode)
	}
}

// A client's rate counts its signed requests only: whoever knows the id
// cannot use it up with unsigned or wrongly signed ones.
func TestRateCountsSigned(t *testing.T) {
	f := newFixtureRate(t, engine.DefaultPolicy(), web.Rate{PerSecond: 0.001, Burst: 2})
	other := append([]byte(nil), f.key...)
	other[0] ^= 1
	for i := range 5 {
		if got := f.get(t, f.params(f.yk.OTP(t, 1, uint8(i))), other); got["status"] != string(yubival.BadSignature) {
			t.Fatalf("wrongly signed request %d: %v; want BAD_SIGNATURE, not a rate limit", i, got)
		}
	}
	for i := range 2 {
		if got := f.get(t, f.params(f.yk.OTP(t, 2, uint8(i))), f.key); got["status"] != string(yubival.OK) {
			t.Errorf("signed request %d within the burst: %v; want OK", i, got)
		}
	}
	q := url.Values{}
	p := f.params(f.yk.OTP(t, 3, 0))
	p["h"] = yubival.Sign(p, f.key)
	for k, v := range p {
		q.Set(k, v)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+yubico.Path+"?"+q.Encode(), nil)
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f.c.Check(t, req, nil, resp, body)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third signed request past a burst of 2: %d; want 429", resp.StatusCode)
	}
}
