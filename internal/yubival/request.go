package yubival

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/yubiotp"
)

// Bounds of a request's values, as yubikey-val checks them.
const (
	MinNonce = 16 // characters of a nonce, at least
	MaxNonce = 40 // and at most
	// MaxOTP is the longest OTP: a public ID of up to 16 modhex characters
	// and the 32 of the encrypted block.
	MaxOTP = 48
	// maxParams bounds a request: the protocol has seven parameters.
	maxParams = 16
	maxValue  = 256
)

// Request is a decoded verify request.
type Request struct {
	// ID is the client's id, in decimal without leading zeros.
	ID string
	// OTP is as the client sent it; the response echoes it unchanged.
	OTP   string
	Nonce string
	// SL is "" (the server decides), "0" to "100", "fast" or "secure".
	// otpgate's answers are always fully in sync (SyncLevel), so it only
	// checks the value.
	SL string
	// Timeout is in seconds, 0 when absent; otpgate answers within its own
	// timeouts, so it only checks the value. timestamp=1, which asks for
	// the key's counters, is accepted and not answered: the counters stay
	// in the engine.
	Timeout int
	// H is the request's signature; "" for an unsigned request.
	H string

	params map[string]string // every parameter as sent, for the signature
}

// Error is a request ParseRequest refuses, with the status to answer it
// with. Its text says which parameter was wrong.
type Error struct {
	Status Status
	msg    string
}

func (e *Error) Error() string { return "yubival: " + e.msg }

func fail(s Status, format string, args ...any) *Error {
	return &Error{Status: s, msg: fmt.Sprintf(format, args...)}
}

// ParseRequest decodes a verify request's query parameters. A parameter
// given twice, a missing id, otp or nonce, or a malformed value is an *Error
// with MISSING_PARAMETER; an OTP that cannot be a Yubico OTP is BAD_OTP.
// Unknown parameters are kept: they are signed with the rest.
func ParseRequest(q url.Values) (Request, error) {
	if len(q) > maxParams {
		return Request{}, fail(MissingParameter, "%d parameters (accepted: at most %d)", len(q), maxParams)
	}
	params := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return Request{}, fail(MissingParameter, "parameter %q given %d times (accepted: once)", k, len(vs))
		}
		if len(vs[0]) > maxValue {
			return Request{}, fail(MissingParameter, "parameter %q is %d bytes long (accepted: at most %d)", k, len(vs[0]), maxValue)
		}
		params[k] = vs[0]
	}
	r := Request{params: params, OTP: params[ParamOTP], Nonce: params[ParamNonce], H: params[ParamH], SL: params[ParamSL]}
	for _, step := range []func(*Request) error{parseID, parseNonce, parseSL, parseTimeout, parseOTP} {
		if err := step(&r); err != nil {
			return Request{}, err
		}
	}
	return r, nil
}

func parseID(r *Request) error {
	id, ok := r.params[ParamID]
	if !ok {
		return fail(MissingParameter, "no id")
	}
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil || n == 0 || !digits(id) {
		return fail(MissingParameter, "id %q is not a client id (accepted: a positive integer)", id)
	}
	r.ID = strconv.FormatUint(n, 10)
	return nil
}

func parseNonce(r *Request) error {
	n := r.Nonce
	if n == "" {
		return fail(MissingParameter, "no nonce")
	}
	if len(n) < MinNonce || len(n) > MaxNonce || !alnum(n) {
		return fail(MissingParameter, "nonce of %d characters (accepted: %d to %d letters and digits)", len(n), MinNonce, MaxNonce)
	}
	return nil
}

func parseSL(r *Request) error {
	switch sl := r.SL; {
	case sl == "" || sl == "fast" || sl == "secure":
		return nil
	case digits(sl):
		if n, err := strconv.Atoi(sl); err == nil && n <= 100 {
			return nil
		}
	}
	return fail(MissingParameter, "sl %q is not a sync level (accepted: 0 to 100, fast, secure)", r.SL)
}

func parseTimeout(r *Request) error {
	t, ok := r.params[ParamTimeout]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || !digits(t) || n > 3600 {
		return fail(MissingParameter, "timeout %q is not a number of seconds (accepted: 0 to 3600)", t)
	}
	r.Timeout = n
	return nil
}

func parseOTP(r *Request) error {
	o := r.OTP
	if o == "" {
		return fail(MissingParameter, "no otp")
	}
	if len(o) > MaxOTP || len(o) <= yubiotp.BlockModhexLen || !yubiotp.IsModhex(strings.ToLower(o)) {
		return fail(BadOTP, "otp of %d characters is not a Yubico OTP (accepted: 33 to %d modhex characters)", len(o), MaxOTP)
	}
	return nil
}

// Signed reports whether the request carries a signature.
func (r *Request) Signed() bool { return r.H != "" }

// SignedBy reports, in constant time, whether the request's signature is
// that of key over its other parameters. An unsigned request is not.
func (r *Request) SignedBy(key []byte) bool {
	return r.Signed() && Verify(r.params, r.H, key)
}

// ErrorStatus returns the status to answer err from ParseRequest with.
func ErrorStatus(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return BackendError
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
