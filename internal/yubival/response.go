package yubival

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SyncLevel is the sl every answer of otpgate reports: the store is the one
// authority every node shares, so an answer is always fully in sync.
const SyncLevel = 100

// Response is a verify response.
type Response struct {
	Status Status
	Time   time.Time // t
	// OTP and Nonce echo the request's; empty when the request had none
	// the server could read. Clients must check both.
	OTP, Nonce string
	// SL is the sync level reached, sent with every answer to a request
	// with a readable OTP; negative leaves it out.
	SL int
}

// For returns the response to r with status at now: the OTP and nonce
// echoed, and the sync level.
func For(r *Request, status Status, now time.Time) Response {
	return Response{Status: status, Time: now, OTP: r.OTP, Nonce: r.Nonce, SL: SyncLevel}
}

// Encode writes the response signed with key (the client's, or nil when
// the client is unknown): one key=value line each, CR LF terminated, h
// first and status last, then an empty line, as yubikey-val writes them.
func (r *Response) Encode(key []byte) []byte {
	names, params := r.params()
	h := Sign(params, key)
	var b strings.Builder
	b.WriteString(ParamH + "=" + h + "\r\n")
	for _, n := range names {
		b.WriteString(n + "=" + params[n] + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// params returns the response's parameters but h, in the order they are
// written.
func (r *Response) params() ([]string, map[string]string) {
	p := map[string]string{ParamT: Timestamp(r.Time)}
	names := []string{ParamT}
	add := func(k, v string) {
		names = append(names, k)
		p[k] = v
	}
	if r.OTP != "" {
		add(ParamOTP, r.OTP)
	}
	if r.Nonce != "" {
		add(ParamNonce, r.Nonce)
	}
	if r.SL >= 0 && r.OTP != "" {
		add(ParamSL, strconv.Itoa(r.SL))
	}
	add(ParamStatus, string(r.Status))
	return names, p
}

// Timestamp formats t as the protocol's t: UTC to the second, then "Z0"
// and the milliseconds in three digits (2008-11-21T06:11:55Z0711).
func Timestamp(t time.Time) string {
	t = t.UTC()
	return t.Format("2006-01-02T15:04:05") + fmt.Sprintf("Z0%03d", t.Nanosecond()/int(time.Millisecond))
}
