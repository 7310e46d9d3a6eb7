package oob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// An HTTP SMS gateway: one request per message, to a fixed URL, with a
// body built from a template, and success decided by the status code and
// optionally a field of a JSON answer. The code travels in the body only:
// never in the URL or a header, which proxies and servers log.

// Body formats of HTTPSettings.
const (
	FormatForm = "form" // application/x-www-form-urlencoded
	FormatJSON = "json" // application/json
)

// maxAnswer bounds what is read of a gateway's answer.
const maxAnswer = 64 << 10

// The fields of an HTTP gateway's body and headers.
var (
	bodyFields   = []string{"to", "message", "code", "api_key"}
	headerFields = []string{"api_key"}
)

// HTTPSettings configure the HTTP SMS gateway.
type HTTPSettings struct {
	// URL is https://, or http:// to a loopback address only.
	URL    string
	Method string // POST (default) or PUT
	Format string // FormatForm or FormatJSON
	// Body is the request body: for FormatForm a query string
	// ("to={to}&text={message}"), for FormatJSON a JSON document whose
	// strings may hold fields ({"to": "{to}", "text": "{message}"}).
	// Values are escaped for the format: a field never changes the
	// document's structure.
	Body string
	// Headers are added to the request; their values may hold {api_key}.
	Headers    map[string]string
	APIKeyFile string // read at start; its first line is {api_key}
	CAFile     string
	// SuccessStatus lists the status codes of a sent message; empty means
	// 200 to 299. Redirects are never followed.
	SuccessStatus []int
	// SuccessField, when set, is a dotted path into the JSON answer
	// ("status", "messages.0.status") whose value must be SuccessValue.
	SuccessField string
	SuccessValue string
	Timeout      time.Duration
}

// gateway sends SMS through an HTTP gateway.
type gateway struct {
	s       HTTPSettings
	client  *http.Client
	body    bodyTemplate
	headers map[string]*Template
	apiKey  string
}

func newGateway(s HTTPSettings) (*gateway, error) {
	g := &gateway{s: s, headers: map[string]*Template{}}
	if err := checkURL(s.URL); err != nil {
		return nil, err
	}
	var err error
	if g.body, err = parseBody(s.Format, s.Body); err != nil {
		return nil, err
	}
	for name, v := range s.Headers {
		if g.headers[name], err = ParseTemplate(v, headerFields...); err != nil {
			return nil, fmt.Errorf("oob: sms header %s: %w", name, err)
		}
	}
	if s.APIKeyFile != "" {
		if g.apiKey, err = readSecret(s.APIKeyFile, "sms api key"); err != nil {
			return nil, err
		}
	}
	u, _ := url.Parse(s.URL)
	tc, err := tlsConfig(s.CAFile, u.Hostname())
	if err != nil {
		return nil, err
	}
	g.client = &http.Client{
		Timeout:       s.Timeout,
		Transport:     &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return g, nil
}

// checkURL accepts https, and http to loopback only: the body holds the
// code and the headers the API key.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return errors.New("oob: sms url is not an absolute URL without credentials (accepted: https://sms.example.com/send)")
	}
	if u.Scheme == "https" {
		return nil
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return errors.New("oob: sms url must be https:// (http:// only to a loopback address): the body holds the code")
}

// send posts one SMS. Its errors never hold the request or the answer's
// body, which may quote the message.
func (g *gateway) send(ctx context.Context, to, text, code string) error {
	vals := map[string]string{"to": to, "message": text, "code": code, "api_key": g.apiKey}
	body, ctype := g.body.expand(vals)
	req, err := http.NewRequestWithContext(ctx, cmpOr(g.s.Method, http.MethodPost), g.s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	for name, t := range g.headers {
		req.Header.Set(name, t.Expand(vals))
	}
	resp, err := g.client.Do(req)
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("sms gateway %s: no answer within %v", g.host(), g.s.Timeout)
	}
	if err != nil {
		return fmt.Errorf("sms gateway %s: %w", g.host(), unwrapURL(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("sms gateway %s: reading the answer: %w", g.host(), err)
	}
	return g.check(resp.StatusCode, answer)
}

func (g *gateway) host() string {
	u, _ := url.Parse(g.s.URL)
	return u.Host
}

// unwrapURL drops url.Error's quoting of the method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// check decides whether an answer means the message was accepted.
func (g *gateway) check(status int, answer []byte) error {
	if !g.statusOK(status) {
		return fmt.Errorf("sms gateway %s answered HTTP %d", g.host(), status)
	}
	if g.s.SuccessField == "" {
		return nil
	}
	got, err := jsonField(answer, g.s.SuccessField)
	if err != nil {
		return fmt.Errorf("sms gateway %s: answer: %w", g.host(), err)
	}
	if got != g.s.SuccessValue {
		return fmt.Errorf("sms gateway %s: answer field %s is not %q", g.host(), g.s.SuccessField, g.s.SuccessValue)
	}
	return nil
}

func (g *gateway) statusOK(status int) bool {
	if len(g.s.SuccessStatus) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range g.s.SuccessStatus {
		if s == status {
			return true
		}
	}
	return false
}

// jsonField returns the value at a dotted path of a JSON document, as text:
// a string as it is, a number as written, true, false or null.
func jsonField(doc []byte, path string) (string, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", errors.New("not JSON")
	}
	for _, key := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(c) {
				return "", fmt.Errorf("no field %s", path)
			}
			v = c[i]
		default:
			return "", fmt.Errorf("no field %s", path)
		}
	}
	switch c := v.(type) {
	case string:
		return c, nil
	case json.Number:
		return c.String(), nil
	case bool:
		return strconv.FormatBool(c), nil
	case nil:
		return "null", nil
	}
	return "", fmt.Errorf("field %s is not a string, number or boolean", path)
}
