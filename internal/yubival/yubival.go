// Package yubival is the wire format of Yubico's validation protocol 2.0
// ([Validation Protocol Version 2.0], as yubikey-val serves it at
// /wsapi/2.0/verify): verify requests decoded from their query parameters,
// and signed responses. It knows nothing of HTTP or of tokens: the front end
// (package web/yubico) looks the client up, verifies the OTP and answers.
//
// Use [ParseRequest] on a request's parameters, [Request.SignedBy] to check
// its signature h with the client's key, then [Response.Encode] to write the
// answer, signed with the same key. [Sign] is the signature both use:
// HMAC-SHA1 (RFC 2104) over the parameters sorted by key and joined as
// k=v&k=v, the signature itself left out, in base64 (RFC 4648).
//
// The OTP itself (modhex, AES) is package yubiotp's.
//
// [Validation Protocol Version 2.0]: https://developers.yubico.com/OTP/Specifications/OTP_validation_protocol.html
package yubival

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
)

// Status is a verify response's status, as the protocol names them.
type Status string

// The statuses of a verify response (the protocol's table).
const (
	OK                  Status = "OK"                    // the OTP is valid
	BadOTP              Status = "BAD_OTP"               // the OTP is invalid or not in the right form
	ReplayedOTP         Status = "REPLAYED_OTP"          // the OTP was seen before
	BadSignature        Status = "BAD_SIGNATURE"         // the request's h does not verify
	MissingParameter    Status = "MISSING_PARAMETER"     // a parameter is missing or malformed
	NoSuchClient        Status = "NO_SUCH_CLIENT"        // the id names no client
	OperationNotAllowed Status = "OPERATION_NOT_ALLOWED" // the client may not verify OTPs
	BackendError        Status = "BACKEND_ERROR"         // the server failed
	NotEnoughAnswers    Status = "NOT_ENOUGH_ANSWERS"    // too few sync servers answered in time
	ReplayedRequest     Status = "REPLAYED_REQUEST"      // the same OTP and nonce were seen before
)

// The parameters of a verify request and its response.
const (
	ParamID      = "id"
	ParamOTP     = "otp"
	ParamH       = "h"
	ParamNonce   = "nonce"
	ParamSL      = "sl"
	ParamTimeout = "timeout"
	ParamT       = "t"
	ParamStatus  = "status"
)

// Sign returns the signature of params: HMAC-SHA1 under key over the
// parameters but h, sorted by key, as "k1=v1&k2=v2", in standard base64.
// Values are signed as they are, decoded from the URL.
func Sign(params map[string]string, key []byte) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != ParamH {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params[k])
	}
	m := hmac.New(sha1.New, key)
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports, in constant time, whether h is the signature of params
// under key.
func Verify(params map[string]string, h string, key []byte) bool {
	want, err := base64.StdEncoding.DecodeString(Sign(params, key))
	if err != nil {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(h)
	return err == nil && hmac.Equal(got, want)
}
