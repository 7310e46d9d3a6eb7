package client

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"otpgate.dev/otpgate/internal/securid"
	"otpgate.dev/otpgate/internal/tokenfile"
)

// stokenRC is stoken's default rcfile, under $HOME.
const stokenRC = ".stokenrc"

// RSARequest says which RSA SecurID passcodes to generate, as OpenConnect's
// --token-mode=rsa does through libstoken.
type RSARequest struct {
	// Secret is anything securid.Parse reads, or "@FILE" or "/PATH" naming a
	// file that holds one or is a stoken rcfile. Empty means $HOME/.stokenrc.
	Secret string
	Home   string    // $HOME, for the default rcfile
	Now    time.Time // --time overrides it
	Next   bool      // start one interval after Now
	Count  int       // how many consecutive passcodes; 0 means 1
	// Password and DeviceID are called only when the token needs them.
	Password func() (string, error)
	DeviceID func() (string, error)
	// PIN is called when no PIN is saved in the rcfile. required says the
	// token mixes the PIN into its code (PIN mode 2 or 3); otherwise the
	// PIN, which may be empty, is written in front of the code.
	PIN  func(required bool) (string, error)
	Warn func(string)
}

// GenerateRSA returns the passcodes req asks for: the tokencode, with the
// PIN mixed in or in front according to the token's PIN mode. A wrong
// password or device ID gives an error wrapping securid.ErrBadPassword or
// securid.ErrBadDeviceID.
func GenerateRSA(req RSARequest) (*Result, error) {
	if req.Count <= 0 {
		req.Count = 1
	}
	tok, form, file, err := loadRSA(&req)
	if err != nil {
		return nil, err
	}
	if err := unlockRSA(tok, &req); err != nil {
		return nil, err
	}
	if tok.Expired(req.Now) && req.Warn != nil {
		req.Warn(fmt.Sprintf("SecurID token %s expired on %s", tok.Serial(), tok.Expiry().AddDate(0, 0, -1).Format("2006-01-02")))
	}
	pin := tok.SavedPIN()
	if pin == "" && req.PIN != nil {
		if pin, err = req.PIN(tok.UsesPIN()); err != nil {
			return nil, fmt.Errorf("client: SecurID PIN: %w", err)
		}
	}
	res := &Result{Mode: "rsa", Form: form, Algorithm: "AES-128", Digits: tok.Digits(),
		Period: int(tok.Interval() / time.Second), File: file}
	if err := rsaCodes(tok, pin, &req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// loadRSA parses the token req names and says which form it came in and
// from which file.
func loadRSA(req *RSARequest) (tok *securid.Token, form, file string, err error) {
	path, isFile := FilePath(req.Secret)
	switch {
	case req.Secret == "":
		if req.Home == "" {
			return nil, "", "", errors.New("client: no SecurID token given and $HOME is not set to find ~/.stokenrc")
		}
		path, isFile = filepath.Join(req.Home, stokenRC), true
	case isFile && path == "":
		return nil, "", "", errors.New("client: no file name after '@' (write @FILE, e.g. @~/.stokenrc)")
	case !isFile:
		tok, err := securid.Parse(req.Secret)
		return tok, "securid", "", err
	}
	data, info, err := tokenfile.Read(path)
	if err != nil {
		return nil, "", "", err
	}
	if tokenfile.Exposed(info) && req.Warn != nil {
		req.Warn(fmt.Sprintf("token file %s is readable by other users (mode %s): run chmod 600 %s", path, info.Mode().Perm(), path))
	}
	form = "securid"
	if securid.IsRCFile(data) {
		form = "stokenrc"
	}
	tok, err = securid.ParseFile(data)
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", path, err)
	}
	return tok, form, path, nil
}

// unlockRSA decrypts the seed, asking for the password and device ID only
// when the token needs them. stoken decrypts unprotected tokens too.
func unlockRSA(tok *securid.Token, req *RSARequest) error {
	var password, devid string
	var err error
	if tok.NeedsDeviceID() {
		if devid, err = ask(req.DeviceID, "device ID"); err != nil {
			return err
		}
	}
	if tok.NeedsPassword() {
		if password, err = ask(req.Password, "password"); err != nil {
			return err
		}
	}
	if err := tok.Decrypt(password, devid); err != nil {
		return fmt.Errorf("client: unlock the SecurID token: %w", err)
	}
	return nil
}

func ask(f func() (string, error), what string) (string, error) {
	if f == nil {
		return "", fmt.Errorf("client: the SecurID token needs a %s and none was given", what)
	}
	s, err := f()
	if err != nil {
		return "", fmt.Errorf("client: the SecurID token needs a %s: %w", what, err)
	}
	return s, nil
}

// rsaCodes fills in res.Codes, one per interval from Now (or the next
// interval).
func rsaCodes(tok *securid.Token, pin string, req *RSARequest, res *Result) error {
	iv := tok.Interval()
	if req.Now.Unix() < 0 {
		return errors.New("client: SecurID codes need a time after 1970")
	}
	step := uint64(req.Now.Unix()) / uint64(iv/time.Second)
	if req.Next {
		step++
	}
	for i := range uint64(req.Count) {
		start := time.Unix(int64(step+i)*int64(iv/time.Second), 0).UTC()
		code, err := tok.Passcode(start, pin)
		if err != nil {
			return fmt.Errorf("client: SecurID passcode: %w", err)
		}
		res.Codes = append(res.Codes, Code{Code: code, Counter: step + i, ValidFrom: start, ValidUntil: start.Add(iv)})
	}
	return nil
}
