package client

import (
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/atomicfile"
	"otpgate.dev/otpgate/internal/securid"
	"otpgate.dev/otpgate/internal/tokenfile"
)

// stokenRC is stoken's default rcfile, under $HOME.
const stokenRC = ".stokenrc"

// rsaCodes returns SecurID passcodes, as OpenConnect's --token-mode=rsa does
// through libstoken: the tokencode, with the PIN mixed in or in front
// according to the token's PIN mode.
func (t *Token) rsaCodes(q Query) (*Result, error) {
	tok, err := t.SecurID()
	if err != nil {
		return nil, err
	}
	if tok.Expired(q.Now) {
		t.env.warn("SecurID token %s expired on %s", tok.Serial(), tok.Expiry().AddDate(0, 0, -1).Format("2006-01-02"))
	}
	pin := tok.SavedPIN()
	if pin == "" {
		if pin, err = t.rsaPIN(tok.UsesPIN()); err != nil {
			return nil, fmt.Errorf("client: SecurID PIN: %w", err)
		}
	}
	form := "securid"
	if t.path != "" && t.rsaRC {
		form = "stokenrc"
	}
	res := &Result{Mode: "rsa", Form: form, Algorithm: "AES-128", Digits: tok.Digits(),
		Period: int(tok.Interval() / time.Second), File: t.path}
	if err := passcodes(tok, pin, q, res); err != nil {
		return nil, err
	}
	return res, nil
}

// SecurID returns the RSA SecurID token, parsed and decrypted: the password
// and device ID are asked for only when the token needs them. A wrong one
// gives an error wrapping securid.ErrBadPassword or securid.ErrBadDeviceID.
func (t *Token) SecurID() (*securid.Token, error) {
	if t.rsa != nil {
		return t.rsa, nil
	}
	tok, err := t.loadRSA()
	if err != nil {
		return nil, err
	}
	if err := t.unlockRSA(tok); err != nil {
		return nil, err
	}
	t.rsa = tok
	return tok, nil
}

// loadRSA parses the token from the spec or its file.
func (t *Token) loadRSA() (*securid.Token, error) {
	if t.src.Mode != RSA {
		return nil, fmt.Errorf("client: the token is not an RSA SecurID token (--token-mode %s)", t.src.Mode)
	}
	if t.path == "" {
		return securid.Parse(t.spec)
	}
	data, err := atomicfile.ReadSecret(t.path, tokenfile.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	t.rsaRC = securid.IsRCFile(data)
	tok, err := securid.ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	return tok, nil
}

// unlockRSA decrypts the seed. stoken decrypts unprotected tokens too.
func (t *Token) unlockRSA(tok *securid.Token) error {
	var password, devid string
	var err error
	if tok.NeedsDeviceID() {
		if devid, err = t.rsaDeviceID(); err != nil {
			return &missingError{what: "device ID", is: securid.ErrBadDeviceID, err: err}
		}
	}
	if tok.NeedsPassword() {
		if password, err = t.env.Secret(t.src.PasswordFile, EnvRSAPassword, "SecurID token password: "); err != nil {
			return &missingError{what: "password", is: securid.ErrBadPassword, err: err}
		}
	}
	if err := tok.Decrypt(password, devid); err != nil {
		return fmt.Errorf("client: unlock the SecurID token: %w", err)
	}
	return nil
}

// missingError is a password or device ID the token needs and could not
// be had. It is securid's error for a wrong one, so that callers say how to
// give the right one.
type missingError struct {
	what string
	is   error
	err  error
}

func (e *missingError) Error() string {
	return "client: the SecurID token needs a " + e.what + ": " + e.err.Error()
}
func (e *missingError) Is(target error) bool { return target == e.is }
func (e *missingError) Unwrap() error        { return e.err }

func (t *Token) rsaDeviceID() (string, error) {
	if t.src.DeviceID != "" {
		return t.src.DeviceID, nil
	}
	return t.env.Secret("", EnvRSADeviceID, "SecurID device ID: ")
}

// rsaPIN asks for the PIN as OpenConnect does: a token that mixes its PIN
// in needs one; for the others an empty PIN (no terminal to ask on) means
// the bare tokencode.
func (t *Token) rsaPIN(required bool) (string, error) {
	pin, err := t.env.Secret(t.src.PINFile, EnvRSAPIN, "SecurID PIN (empty for none): ")
	if err != nil && !required && t.src.PINFile == "" {
		return "", nil
	}
	return pin, err
}

// passcodes fills in res.Codes, one per interval from Now (or the next
// interval).
func passcodes(tok *securid.Token, pin string, q Query, res *Result) error {
	iv := tok.Interval()
	if q.Now.Unix() < 0 {
		return errors.New("client: SecurID codes need a time after 1970")
	}
	step := uint64(q.Now.Unix()) / uint64(iv/time.Second)
	if q.Next {
		step++
	}
	for i := range uint64(q.Count) {
		start := time.Unix(int64(step+i)*int64(iv/time.Second), 0).UTC()
		code, err := tok.Passcode(start, pin)
		if err != nil {
			return fmt.Errorf("client: SecurID passcode: %w", err)
		}
		res.Codes = append(res.Codes, Code{Code: code, Counter: step + i, ValidFrom: start, ValidUntil: start.Add(iv)})
	}
	return nil
}
