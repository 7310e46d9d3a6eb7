package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/tokenfile"
	"otpgate.dev/otpgate/internal/tokenspec"
)

// specCodes generates the codes of a TOTP or HOTP token spec.
func (t *Token) specCodes(q Query) (*Result, error) {
	if t.path != "" && t.src.Mode != TOTP && q.Counter == nil {
		return t.lockedCodes(q)
	}
	spec, err := t.readSpec()
	if err != nil {
		return nil, err
	}
	res, err := t.generate(spec, q)
	if err != nil {
		return nil, err
	}
	res.File = t.path
	if res.NextCounter != nil && q.Counter == nil {
		t.env.warn("the HOTP counter is now %d but is not saved anywhere; keep the token in a file (--token-secret @FILE) so that it is", *res.NextCounter)
	}
	return res, nil
}

// readSpec parses the spec, reading the token file without locking it.
func (t *Token) readSpec() (*tokenspec.Spec, error) {
	if t.path == "" {
		return tokenspec.Parse(t.spec, t.specOptions())
	}
	data, err := atomicfile.ReadSecret(t.path, tokenfile.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return t.parseFile(data)
}

func (t *Token) parseFile(data []byte) (*tokenspec.Spec, error) {
	spec, err := tokenspec.Parse(string(data), t.specOptions())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	return spec, nil
}

// lockedCodes generates HOTP codes from a token file and persists the new
// counter before returning them: a code is never shown unless its use is on
// disk. A spec that turns out to be TOTP is not rewritten.
func (t *Token) lockedCodes(q Query) (*Result, error) {
	f, data, err := tokenfile.Lock(t.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	spec, err := t.parseFile(data)
	if err != nil {
		return nil, err
	}
	res, err := t.generate(spec, q)
	if err != nil || spec.Mode != tokenspec.HOTP {
		return res, err
	}
	text, err := spec.Encode()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	if err := f.Replace([]byte(text + trailingSpace(string(data)))); err != nil {
		return nil, fmt.Errorf("the HOTP counter could not be saved, so no code is shown: %w", err)
	}
	res.Saved, res.File = true, t.path
	return res, nil
}

// trailingSpace returns the white space at the end of s, so that a rewritten
// token file keeps the newline it had.
func trailingSpace(s string) string {
	return s[len(strings.TrimRight(s, " \t\r\n")):]
}

// generate fills in the result for a parsed spec and advances spec.Counter
// past the HOTP codes it produced.
func (t *Token) generate(spec *tokenspec.Spec, q Query) (*Result, error) {
	if t.src.Digits != 0 {
		spec.Params.Digits = t.src.Digits
	}
	if t.src.Period != 0 {
		spec.Params.Period = time.Duration(t.src.Period) * time.Second
	}
	if err := spec.Params.Validate(); err != nil {
		return nil, err
	}
	res := &Result{
		Mode: spec.Mode.String(), Form: spec.Form.String(),
		Algorithm: spec.Params.Algorithm.String(), Digits: spec.Params.Digits,
	}
	if spec.Mode == tokenspec.TOTP {
		totpCodes(spec, q, res)
		return res, nil
	}
	if q.Next {
		return nil, errors.New("client: --next is for time-based tokens; each HOTP code already advances the counter")
	}
	return res, hotpCodes(spec, q, res)
}

func totpCodes(spec *tokenspec.Spec, q Query, res *Result) {
	p := spec.Params
	res.Period = int(p.Period / time.Second)
	step := p.Step(q.Now)
	if q.Next {
		step++
	}
	for i := range uint64(q.Count) {
		c := step + i
		res.Codes = append(res.Codes, Code{
			Code: otp.Generate(spec.Key, c, p), Counter: c,
			ValidFrom: p.StepStart(c), ValidUntil: p.StepStart(c + 1),
		})
	}
}

func hotpCodes(spec *tokenspec.Spec, q Query, res *Result) error {
	start := spec.Counter
	if q.Counter != nil {
		start = *q.Counter
	}
	if start > (1<<63-1)-uint64(q.Count) {
		return errors.New("client: the HOTP counter would pass 2^63-1")
	}
	for i := range uint64(q.Count) {
		c := start + i
		res.Codes = append(res.Codes, Code{Code: otp.Generate(spec.Key, c, spec.Params), Counter: c})
	}
	next := start + uint64(q.Count)
	res.NextCounter = &next
	if q.Counter == nil {
		spec.Counter = next
	}
	return nil
}
