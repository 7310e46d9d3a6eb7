package oob

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a local SMS gateway that records each request and answers
// with status and body.
type receiver struct {
	mu     sync.Mutex
	reqs   []recorded
	status int
	answer string
	delay  time.Duration
}

type recorded struct {
	Method, URL string
	Header      http.Header
	Body        string
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	r := &receiver{status: http.StatusOK, answer: `{"status": "queued", "id": 7}`}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{req.Method, req.URL.String(), req.Header.Clone(), string(body)})
		status, answer, delay := r.status, r.answer, r.delay
		r.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
		}
		w.WriteHeader(status)
		// %s echoes the request, as some gateways quote what they refuse.
		io.WriteString(w, strings.ReplaceAll(answer, "%s", url.QueryEscape(string(body))))
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) set(status int, answer string, delay time.Duration) {
	r.mu.Lock()
	r.status, r.answer, r.delay = status, answer, delay
	r.mu.Unlock()
}

func (r *receiver) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("the gateway got no request")
	}
	return r.reqs[len(r.reqs)-1]
}

func gatewaySettings(t *testing.T, srv *httptest.Server, format, body string) Settings {
	key := filepath.Join(t.TempDir(), "api-key")
	os.WriteFile(key, []byte("s3cr3t-key\n"), 0o600)
	s := DefaultSettings()
	s.VPNName = "Example VPN"
	s.ResendAfter = 0
	s.HTTP = &HTTPSettings{URL: srv.URL + "/v1/sms", Format: format, Body: body,
		Headers: map[string]string{"Authorization": "Bearer {api_key}"}, APIKeyFile: key,
		SuccessField: "status", SuccessValue: "queued", Timeout: 5 * time.Second}
	return s
}

// An SMS to a phone number goes through the HTTP gateway as JSON or a form,
// with the API key in a header and the code in the body only, and the
// gateway's answer decides success.
func TestHTTPGateway(t *testing.T) {
	r, srv := newReceiver(t)
	for _, tt := range []struct {
		format, body string
		read         func(t *testing.T, body string) (to, text string)
	}{
		{FormatJSON, `{"to": "{to}", "text": "{message}", "flash": false}`, func(t *testing.T, body string) (string, string) {
			var v struct{ To, Text string }
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			return v.To, v.Text
		}},
		{FormatForm, "to={to}&text={message}", func(t *testing.T, body string) (string, string) {
			v, err := url.ParseQuery(body)
			if err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			return v.Get("to"), v.Get("text")
		}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			f := newFixture(t, gatewaySettings(t, srv, tt.format, tt.body))
			phone := f.enroll("dave", SMS, "+15551234567")
			sent, err := f.send(phone, "c1", "192.0.2.7")
			if err != nil || sent.To != "+1********67" || sent.Gateway != GatewayHTTP {
				t.Fatalf("Send = %+v, %v; want sent to +1********67 by sms-http", sent, err)
			}
			req := r.last(t)
			to, text := tt.read(t, req.Body)
			code := codeIn(t, text)
			if req.Method != http.MethodPost || req.URL != "/v1/sms" || to != "+15551234567" ||
				req.Header.Get("Authorization") != "Bearer s3cr3t-key" || !strings.HasPrefix(text, "Example VPN code "+code) {
				t.Errorf("request %+v; want a POST to /v1/sms for +15551234567 with the key and the SMS text", req)
			}
			for name, vals := range req.Header {
				if strings.Contains(req.URL+name+strings.Join(vals, ""), code) {
					t.Errorf("the code is in the URL or header %s", name)
				}
			}
			if r := f.verify(phone, "c1", code); !r.OK {
				t.Errorf("Verify = %+v", r)
			}
			f.audit(code)
		})
	}
}

// Every kind of gateway failure is ErrDelivery, with an error that names
// the status or the field but never holds the request or the answer.
func TestHTTPGatewayFailures(t *testing.T) {
	r, srv := newReceiver(t)
	s := gatewaySettings(t, srv, FormatJSON, `{"to": "{to}", "text": "{message}"}`)
	s.HTTP.Timeout = time.Second
	f := newFixture(t, s)
	phone := f.enroll("dave", SMS, "+15551234567")
	for _, tt := range []struct {
		name, answer string
		status       int
		delay        time.Duration
		want         string
	}{
		{"server error", `{"error": "quota", "echo": "%s"}`, 500, 0, "answered HTTP 500"},
		{"redirect", "", 307, 0, "answered HTTP 307"},
		{"refused in the answer", `{"status": "rejected", "echo": "%s"}`, 200, 0, `answer field status is not "queued"`},
		{"not JSON", `queued %s`, 200, 0, "not JSON"},
		{"too slow", `{"status": "queued"}`, 200, 3 * time.Second, "no answer within 1s"},
	} {
		r.set(tt.status, tt.answer, tt.delay)
		_, err := f.send(phone, "c1", "192.0.2.7")
		if !errors.Is(err, ErrDelivery) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Send with the gateway's %s = %v; want ErrDelivery: %s", tt.name, err, tt.want)
			continue
		}
		var v struct{ Text string }
		json.Unmarshal([]byte(r.last(t).Body), &v)
		if code := codeIn(t, v.Text); strings.Contains(err.Error(), code) {
			t.Errorf("Send with the gateway's %s: error %q holds the code", tt.name, err)
		}
	}
	f.audit()
}

func TestJSONField(t *testing.T) {
	doc := []byte(`{"status": "ok", "n": 1.50, "ok": true, "none": null, "messages": [{"status": "sent"}], "o": {}}`)
	for _, tt := range []struct{ path, want string }{
		{"status", "ok"}, {"n", "1.50"}, {"ok", "true"}, {"none", "null"},
		{"messages.0.status", "sent"}, {"missing", "null"},
		{"messages.1.status", ""}, {"messages.x", ""}, {"status.x", ""}, {"o", ""},
	} {
		got, err := jsonField(doc, tt.path)
		if tt.want == "" && err == nil || tt.want != "" && (err != nil || got != tt.want) {
			t.Errorf("jsonField(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://sms.example.com/send", true},
		{"http://127.0.0.1:8080/send", true},
		{"http://[::1]/send", true},
		{"http://localhost/send", true},
		{"http://sms.example.com/send", false},
		{"https://user:pw@sms.example.com/send", false},
		{"/send", false},
		{"ftp://sms.example.com/", false},
	} {
		if err := checkURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkURL(%q) = %v; want ok %v", tt.url, err, tt.ok)
		}
	}
}
