package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store/sqlite"
	"otpgate.dev/otpgate/internal/testpeer"
	"otpgate.dev/otpgate/internal/web"
	"otpgate.dev/otpgate/internal/web/webtest"
)

type fixture struct {
	ca     *webtest.CA
	dir    string
	srv    *web.Server
	url    string
	client *http.Client
	keys   *apikey.Manager
	log    *testpeer.Buffer
}

// start serves a handler that echoes the request's Info, behind an Auth for
// /verify and /admin, over TLS with a certificate of a test CA.
func start(t *testing.T, mod func(*web.Config)) *fixture {
	t.Helper()
	f := &fixture{ca: webtest.NewCA(t), dir: t.TempDir(), log: &testpeer.Buffer{}}
	_, certFile, keyFile := f.ca.Issue(t, f.dir)
	st, err := sqlite.Open(t.Context(), filepath.Join(f.dir, "otpgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, secretbox.KeySize))
	f.keys = apikey.New(st, box, time.Now)
	logger := slog.New(slog.NewTextHandler(f.log, nil))
	auth, err := web.NewAuth(f.keys, web.Rate{PerSecond: 1, Burst: 5}, logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := web.RequestInfo(r)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			web.WriteError(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"source": i.Source.String(), "key": i.KeyID, "len": len(body)})
	})
	mux.Handle("/open", echo)
	mux.Handle("/verify", auth.Require(apikey.ScopeVerify, echo))
	mux.Handle("/admin", auth.Require(apikey.ScopeAdmin, echo))
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	cfg := web.Config{Listen: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile, MaxBody: 1024, Logger: logger}
	if mod != nil {
		mod(&cfg)
	}
	if f.srv, err = web.New(cfg, mux); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	scheme := "https"
	if !f.srv.TLS() {
		scheme = "http"
	}
	f.url = scheme + "://" + f.srv.Addr().String()
	f.client = f.ca.Client()
	return f
}

func (f *fixture) do(t *testing.T, method, path, key string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestTLSAndHeaders(t *testing.T) {
	f := start(t, nil)
	resp, body := f.do(t, "GET", "/open", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"source":"127.0.0.1"`) {
		t.Fatalf("GET /open = %d %s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < 0x0303 {
		t.Errorf("connection state %+v; want TLS 1.2 or later", resp.TLS)
	}
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
		"Strict-Transport-Security": "max-age=31536000", "Referrer-Policy": "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Content-Type": "application/json",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q; want %q", h, got, want)
		}
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("an answer carries Access-Control-Allow-Origin with no origin configured")
	}
}

// curl, trusting the test CA only, reaches the listener; without the CA it
// refuses the certificate.
func TestCurl(t *testing.T) {
	curl := testpeer.Need(t, "curl")[0]
	f := start(t, nil)
	out, err := exec.Command(curl, "-sS", "--fail-with-body", "--cacert", f.ca.File, f.url+"/open").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"source":"127.0.0.1"`) {
		t.Fatalf("curl --cacert CA /open: %v: %s", err, out)
	}
	out, err = exec.Command(curl, "-sS", f.url+"/open").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "certificate") {
		t.Errorf("curl without the CA: %v: %s; want a certificate error", err, out)
	}
	out, err = exec.Command(curl, "-sS", "--cacert", f.ca.File, "--tls-max", "1.1", f.url+"/open").CombinedOutput()
	if err == nil {
		t.Errorf("curl --tls-max 1.1 connected: %s; want TLS 1.0 and 1.1 refused", out)
	}
}

func TestReloadCertificate(t *testing.T) {
	f := start(t, nil)
	addr := f.srv.Addr().String()
	first := f.ca.PeerSerial(t, addr)
	second, _, _ := f.ca.Issue(t, f.dir)
	if err := f.srv.ReloadCertificate(); err != nil {
		t.Fatalf("ReloadCertificate() = %v", err)
	}
	if got := f.ca.PeerSerial(t, addr); got.Cmp(second) != 0 || got.Cmp(first) == 0 {
		t.Errorf("after a reload the listener presents serial %v; want the new %v", got, second)
	}
	// A half-written key keeps the certificate in use.
	if err := os.WriteFile(filepath.Join(f.dir, "key.pem"), []byte("-----BEGIN PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.ReloadCertificate(); err == nil {
		t.Fatal("ReloadCertificate() with a broken key = nil")
	}
	if got := f.ca.PeerSerial(t, addr); got.Cmp(second) != 0 {
		t.Errorf("after a failed reload the listener presents serial %v; want still %v", got, second)
	}
	if !strings.Contains(f.log.String(), "the previous one stays in use") {
		t.Errorf("log %q does not say the old certificate stays", f.log.String())
	}
	// A key of another certificate is refused too.
	other := t.TempDir()
	f.ca.Issue(t, other)
	data, _ := os.ReadFile(filepath.Join(other, "key.pem"))
	os.WriteFile(filepath.Join(f.dir, "key.pem"), data, 0o600)
	if err := f.srv.ReloadCertificate(); err == nil || !strings.Contains(err.Error(), "private key does not match") {
		t.Errorf("ReloadCertificate() with another certificate's key = %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	h := http.NotFoundHandler()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  web.Config
		want string
	}{
		{"plain on all addresses", web.Config{Listen: "0.0.0.0:0"}, "in the clear"},
		{"cert without key", web.Config{Listen: "127.0.0.1:0", CertFile: filepath.Join(dir, "c")}, "both a certificate file and a key file"},
		{"missing files", web.Config{Listen: "127.0.0.1:0", CertFile: filepath.Join(dir, "c"), KeyFile: filepath.Join(dir, "k")}, "no such file"},
		{"bad rate", web.Config{Listen: "127.0.0.1:0", PerSource: web.Rate{PerSecond: 1}}, "burst"},
	}
	for _, tt := range tests {
		if s, err := web.New(tt.cfg, h); err == nil || !strings.Contains(err.Error(), tt.want) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: New() = %v; want an error with %q", tt.name, err, tt.want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	f := start(t, nil)
	ctx := t.Context()
	verify, _ := f.keys.Create(ctx, apikey.ScopeVerify, "app")
	admin, _ := f.keys.Create(ctx, apikey.ScopeAdmin, "ops")
	revoked, _ := f.keys.Create(ctx, apikey.ScopeVerify, "old")
	f.keys.Revoke(ctx, revoked.ID)
	tests := []struct {
		path, key string
		status    int
		body      string
	}{
		{"/verify", "", 401, "Authorization: Bearer KEY"},
		{"/verify", verify.Key + "x", 401, "unknown, revoked or wrong"},
		{"/verify", revoked.Key, 401, "unknown, revoked or wrong"},
		{"/verify", verify.Key, 200, `"key":"` + verify.ID + `"`},
		{"/admin", verify.Key, 403, "scope is verify; this call needs admin"},
		{"/admin", admin.Key, 200, `"key":"` + admin.ID + `"`},
		{"/verify?api_key=" + verify.Key, verify.Key, 400, "never in the URL"},
	}
	for _, tt := range tests {
		resp, body := f.do(t, "GET", tt.path, tt.key, nil)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s = %d %s; want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
		if tt.status == 401 && resp.Header.Get("WWW-Authenticate") != `Bearer realm="otpgate"` {
			t.Errorf("GET %s: WWW-Authenticate %q", tt.path, resp.Header.Get("WWW-Authenticate"))
		}
	}
	log := f.log.String()
	for _, k := range []string{verify.Key, admin.Key, revoked.Key, verify.Key[20:]} {
		if strings.Contains(log, k) {
			t.Fatalf("the log holds an API key: %s", log)
		}
	}
	if !strings.Contains(log, "key="+verify.ID) || !strings.Contains(log, "path=/verify ") || strings.Contains(log, "api_key") {
		t.Errorf("access log %q; want the key's ID and the path without its query", log)
	}
}

func TestPerKeyRate(t *testing.T) {
	f := start(t, nil)
	k, _ := f.keys.Create(t.Context(), apikey.ScopeVerify, "")
	other, _ := f.keys.Create(t.Context(), apikey.ScopeVerify, "")
	codes := map[int]int{}
	for range 8 {
		resp, _ := f.do(t, "GET", "/verify", k.Key, nil)
		codes[resp.StatusCode]++
	}
	if codes[200] < 5 || codes[429] == 0 || codes[200]+codes[429] != 8 {
		t.Errorf("8 quick calls with a key of burst 5: %v; want at least 5 answered and some 429", codes)
	}
	if resp, _ := f.do(t, "GET", "/verify", other.Key, nil); resp.StatusCode != 200 {
		t.Errorf("another key after one's burst: %d; want 200", resp.StatusCode)
	}
}

func TestPerSourceRate(t *testing.T) {
	f := start(t, func(c *web.Config) { c.PerSource = web.Rate{PerSecond: 0.5, Burst: 3} })
	codes := map[int]int{}
	for range 6 {
		resp, _ := f.do(t, "GET", "/open", "", nil)
		codes[resp.StatusCode]++
	}
	if codes[200] < 3 || codes[429] == 0 {
		t.Errorf("6 quick calls from one source with burst 3: %v; want 3 or so answered and the rest 429", codes)
	}
}

func TestBodyLimit(t *testing.T) {
	f := start(t, nil)
	if resp, body := f.do(t, "POST", "/open", "", strings.NewReader(strings.Repeat("x", 1024))); resp.StatusCode != 200 {
		t.Errorf("a body of MaxBody bytes: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "POST", "/open", "", strings.NewReader(strings.Repeat("x", 1025))); resp.StatusCode != 413 {
		t.Errorf("a body one byte over MaxBody: %d; want 413", resp.StatusCode)
	}
	// Without a declared length the limit holds while reading.
	chunked := io.MultiReader(strings.NewReader(strings.Repeat("x", 2000)))
	if resp, _ := f.do(t, "POST", "/open", "", chunked); resp.StatusCode != 413 {
		t.Errorf("a chunked body over MaxBody: %d; want 413", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	preflight := func(f *fixture, origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", f.url+"/verify", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	closed := start(t, nil)
	if resp := preflight(closed, "https://evil.example"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight with CORS closed: %d %v; want 403 without Access-Control headers", resp.StatusCode, resp.Header)
	}
	open := start(t, func(c *web.Config) { c.CORSOrigins = []string{"https://app.example"} })
	resp := preflight(open, "https://app.example")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from a listed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight(open, "https://app.example.evil"); resp.StatusCode != 403 {
		t.Errorf("preflight from an unlisted origin: %d; want 403", resp.StatusCode)
	}
}

func TestPanicAnswered(t *testing.T) {
	f := start(t, nil)
	resp, body := f.do(t, "GET", "/panic", "", nil)
	if resp.StatusCode != 500 || !strings.Contains(body, "internal error") || !strings.Contains(f.log.String(), "panicked") {
		t.Errorf("GET /panic = %d %s; log %s", resp.StatusCode, body, f.log.String())
	}
	if resp, _ := f.do(t, "GET", "/open", "", nil); resp.StatusCode != 200 {
		t.Errorf("after a panic: %d; want the server still serving", resp.StatusCode)
	}
}

// Plain HTTP behind a trusted proxy takes the client from X-Forwarded-For.
func TestBehindProxy(t *testing.T) {
	f := start(t, func(c *web.Config) {
		c.CertFile, c.KeyFile = "", ""
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	req, _ := http.NewRequest("GET", f.url+"/open?code=123456", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.50, 198.51.100.7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"source":"198.51.100.7"`) || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("behind a proxy: %s %v; want source 198.51.100.7 and no HSTS over plain HTTP", b, resp.Header)
	}
	if log := f.log.String(); strings.Contains(log, "123456") || !strings.Contains(log, "source=198.51.100.7") {
		t.Errorf("access log %q; want the forwarded source and no query", log)
	}
}
