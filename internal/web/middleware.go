package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// middleware wraps h in what every request passes, outermost first: panic
// recovery, the client's address, the access log, security headers, CORS,
// the per-source limit and the body limit.
func (s *Server) middleware(h http.Handler, perSource *Limiter) http.Handler {
	h = s.limitBody(h)
	h = limitSource(h, perSource)
	h = cors(h, s.cfg.CORSOrigins)
	h = securityHeaders(h)
	h = s.accessLog(h)
	return s.recoverPanic(h)
}

// recoverPanic answers 500 for a handler that panicked, and logs it in one
// line: a request never brings the daemon down, and a client always gets an
// answer.
func (s *Server) recoverPanic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("web: a handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				WriteError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// status records what a handler answered, for the access log.
type status struct {
	http.ResponseWriter
	code int
}

func (s *status) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *status) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *status) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog finds the client's address and logs one line a request: the
// method, the path, the status, what the handler decided, the key's ID, the
// client and the time taken. The query is left out: whatever a client put
// there (a key, a code) stays out of the log.
func (s *Server) accessLog(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{Source: s.proxy.source(r)}
		sw := &status{ResponseWriter: w}
		h.ServeHTTP(sw, withInfo(r, info))
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.log.Info("web: request", "method", r.Method, "path", r.URL.Path, "status", sw.code, "result", info.Result,
			"key", info.KeyID, "source", info.Source.String(), "ms", time.Since(start).Milliseconds())
	})
}

// securityHeaders are sent with every answer. The API serves no page, so
// its policy allows nothing to load; the portal sets its own.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// corsMaxAge is how long a browser may keep a preflight's answer.
const corsMaxAge = 10 * time.Minute

// cors lets the listed origins call the API from a browser. With none, no
// answer carries an Access-Control header and a preflight is refused, so a
// browser refuses every cross-origin call: that is the default.
func cors(h http.Handler, origins []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(origins, origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed {
			w.Header().Add("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		switch {
		case preflight && allowed:
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", strconv.Itoa(int(corsMaxAge.Seconds())))
			w.WriteHeader(http.StatusNoContent)
		case preflight:
			WriteError(w, http.StatusForbidden, "cross-origin requests are not allowed from this origin")
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// limitSource applies the per-source rate limit.
func limitSource(h http.Handler, l *Limiter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.Allow(sourceKey(RequestInfo(r).Source)) {
			tooMany(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	WriteError(w, http.StatusTooManyRequests, "too many requests; slow down")
}

// limitBody refuses a body larger than MaxBody, before reading it when its
// length is declared.
func (s *Server) limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBody {
			WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", s.cfg.MaxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		h.ServeHTTP(w, r)
	})
}
