// Package client generates the one-time codes a VPN user sends, from a token
// spec, the way OpenConnect's --token-mode and --token-secret do: it reads the
// spec from the command line, the environment, standard input or a token
// file, and for HOTP writes the advanced counter back to the file before the
// code is shown, under a lock, so that no two runs ever print the same code.
//
// Use [Generate]; `otpgate code` and `otpgate openvpn client` are thin
// wrappers around it.
package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/tokenfile"
	"otpgate.dev/otpgate/internal/tokenspec"
)

// Request says which codes to generate.
type Request struct {
	Mode tokenspec.Mode // ModeUnknown: an otpauth URI or PSKC document says
	// Secret is the spec text; a leading '@' or '/' names a token file, as
	// in OpenConnect.
	Secret string
	Now    time.Time // the clock for TOTP; --time overrides it
	// Counter, when set, generates from this HOTP counter without writing
	// anything back: a look at codes, not a use of them.
	Counter *uint64
	Next    bool // TOTP: start one period after Now
	Count   int  // how many consecutive codes; 0 means 1
	Digits  int  // overrides the spec's digits when non-zero
	Period  int  // overrides the spec's TOTP period (seconds) when non-zero
	Spec    tokenspec.Options
}

// Code is one generated code and the counter or time step it belongs to.
type Code struct {
	Code       string    `json:"code"`
	Counter    uint64    `json:"counter"`
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Result is what Generate produced.
type Result struct {
	Mode      string `json:"mode"`
	Form      string `json:"form"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period,omitempty"`
	Codes     []Code `json:"codes"`
	// NextCounter is the HOTP counter after the codes; Saved reports whether
	// it was written back to the token file.
	NextCounter *uint64 `json:"next_counter,omitempty"`
	Saved       bool    `json:"saved"`
	File        string  `json:"file,omitempty"`
}

// FilePath returns the token file named by a spec ("@FILE" or "/abs/path");
// ok is false when the spec is the secret itself.
func FilePath(secret string) (path string, ok bool) {
	switch {
	case strings.HasPrefix(secret, "@"):
		return secret[1:], true
	case strings.HasPrefix(secret, "/"):
		return secret, true
	}
	return "", false
}

// Generate returns the codes req asks for.
func Generate(req Request) (*Result, error) {
	if req.Count <= 0 {
		req.Count = 1
	}
	path, isFile := FilePath(req.Secret)
	if !isFile {
		spec, err := tokenspec.Parse(req.Secret, req.Spec)
		if err != nil {
			return nil, err
		}
		return generate(spec, &req)
	}
	if path == "" {
		return nil, errors.New("client: no file name after '@' (write @FILE, e.g. @~/.config/otpgate/vpn.token)")
	}
	if req.Mode == tokenspec.TOTP || req.Counter != nil {
		return fromFileReadOnly(path, &req)
	}
	return fromFileLocked(path, &req)
}

func fromFileReadOnly(path string, req *Request) (*Result, error) {
	data, info, err := tokenfile.Read(path)
	if err != nil {
		return nil, err
	}
	warnExposed(path, info.Mode().Perm(), tokenfile.Exposed(info), req)
	spec, err := tokenspec.Parse(string(data), req.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res, err := generate(spec, req)
	if res != nil {
		res.File = path
	}
	return res, err
}

// fromFileLocked generates HOTP codes from a token file and persists the new
// counter before returning them: a code is never shown unless its use is on
// disk. A spec that turns out to be TOTP is not rewritten.
func fromFileLocked(path string, req *Request) (*Result, error) {
	f, data, err := tokenfile.Lock(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	warnExposed(path, f.Info().Mode().Perm(), tokenfile.Exposed(f.Info()), req)
	spec, err := tokenspec.Parse(string(data), req.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res, err := generate(spec, req)
	if err != nil || spec.Mode != tokenspec.HOTP {
		return res, err
	}
	text, err := spec.Encode()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Replace([]byte(text + trailingSpace(string(data)))); err != nil {
		return nil, fmt.Errorf("the HOTP counter could not be saved, so no code is shown: %w", err)
	}
	res.Saved, res.File = true, path
	return res, nil
}

func warnExposed(path string, perm interface{ String() string }, exposed bool, req *Request) {
	if exposed && req.Spec.Warn != nil {
		req.Spec.Warn(fmt.Sprintf("token file %s is readable by other users (mode %s): run chmod 600 %s", path, perm, path))
	}
}

// trailingSpace returns the white space at the end of s, so that a rewritten
// token file keeps the newline it had.
func trailingSpace(s string) string {
	t := strings.TrimRight(s, " \t\r\n")
	return s[len(t):]
}

// generate fills in the result for a parsed spec and advances spec.Counter
// past the HOTP codes it produced.
func generate(spec *tokenspec.Spec, req *Request) (*Result, error) {
	if req.Digits != 0 {
		spec.Params.Digits = req.Digits
	}
	if req.Period != 0 {
		spec.Params.Period = time.Duration(req.Period) * time.Second
	}
	if err := spec.Params.Validate(); err != nil {
		return nil, err
	}
	res := &Result{
		Mode: spec.Mode.String(), Form: spec.Form.String(),
		Algorithm: spec.Params.Algorithm.String(), Digits: spec.Params.Digits,
	}
	switch spec.Mode {
	case tokenspec.TOTP:
		totpCodes(spec, req, res)
	case tokenspec.HOTP:
		if req.Next {
			return nil, errors.New("client: --next is for time-based tokens; each HOTP code already advances the counter")
		}
		if err := hotpCodes(spec, req, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func totpCodes(spec *tokenspec.Spec, req *Request, res *Result) {
	p := spec.Params
	res.Period = int(p.Period / time.Second)
	step := p.Step(req.Now)
	if req.Next {
		step++
	}
	for i := range uint64(req.Count) {
		c := step + i
		res.Codes = append(res.Codes, Code{
			Code: otp.Generate(spec.Key, c, p), Counter: c,
			ValidFrom: p.StepStart(c), ValidUntil: p.StepStart(c + 1),
		})
	}
}

func hotpCodes(spec *tokenspec.Spec, req *Request, res *Result) error {
	start := spec.Counter
	if req.Counter != nil {
		start = *req.Counter
	}
	if start > (1<<63-1)-uint64(req.Count) {
		return errors.New("client: the HOTP counter would pass 2^63-1")
	}
	for i := range uint64(req.Count) {
		c := start + i
		res.Codes = append(res.Codes, Code{Code: otp.Generate(spec.Key, c, spec.Params), Counter: c})
	}
	next := start + uint64(req.Count)
	res.NextCounter = &next
	if req.Counter == nil {
		spec.Counter = next
	}
	return nil
}
