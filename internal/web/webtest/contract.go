package webtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Contract checks real requests and answers against openapi.yaml, with
// kin-openapi's validator: every answer a test gets passes through it.
type Contract struct {
	router routers.Router
	seen   map[string]bool // "METHOD path status" checked
}

func NewContract(t testing.TB, spec []byte) *Contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = nil // match whatever address the test server has
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &Contract{router: router, seen: map[string]bool{}}
}

// Check validates req (with its body) and resp (with its body).
func (c *Contract) Check(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in openapi.yaml: %v", req.Method, req.URL.Path, err)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s answered %d %s: does not match openapi.yaml: %v", req.Method, req.URL.Path, resp.StatusCode, respBody, err)
	}
	c.seen[req.Method+" "+route.Path+" "+resp.Status[:3]] = true
}

// Covered fails t unless every answer of want was checked.
func (c *Contract) Covered(t testing.TB, want ...string) {
	t.Helper()
	for _, w := range want {
		if !c.seen[w] {
			t.Errorf("no test checked %q against openapi.yaml (checked: %v)", w, c.seen)
		}
	}
}
