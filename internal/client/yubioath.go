package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/ykoath"
	"otpgate.dev/otpgate/internal/ykoath/pcsc"
)

// ErrOATHLocked means the applet is password-protected and no password
// could be had.
var ErrOATHLocked = errors.New("client: the YubiKey OATH applet is password-protected and no password was given")

// Card is a smart-card connection to the YubiKey OATH applet that the
// caller closes when done.
type Card interface {
	ykoath.Card
	Close() error
}

// YubiOATHRequest says which codes to get from a YubiKey's OATH applet, as
// OpenConnect's --token-mode=yubioath does.
type YubiOATHRequest struct {
	// Name picks the credential as ykoath.Find does: the exact ID, the
	// "issuer:name" or "period/issuer:name" forms ykman shows, or "" for
	// the first credential.
	Name  string
	Now   time.Time // --time overrides it
	Next  bool      // TOTP: start one period after Now
	Count int       // how many consecutive codes; 0 means 1
	// Open connects to the card; nil opens the first PC/SC reader whose
	// card has the OATH applet.
	Open func() (Card, error)
	// Password is called only when the applet is password-protected.
	Password func() ([]byte, error)
}

// GenerateYubiOATH returns the codes req asks for. For an HOTP credential,
// every code advances the counter kept on the card. A wrong applet password
// gives an error wrapping ykoath.ErrWrongPassword.
func GenerateYubiOATH(req YubiOATHRequest) (*Result, error) {
	if req.Count <= 0 {
		req.Count = 1
	}
	open := req.Open
	if open == nil {
		open = openPCSC
	}
	card, err := open()
	if err != nil {
		return nil, err
	}
	defer card.Close()
	s := ykoath.NewSession(card)
	cred, err := selectCredential(s, &req)
	if err != nil {
		return nil, err
	}
	if cred.Type == ykoath.HOTP && req.Next {
		return nil, errors.New("client: --next is for time-based credentials; each HOTP code already advances the card's counter")
	}
	res := &Result{Mode: "yubioath", Form: strings.ToLower(cred.Type.String()), Algorithm: cred.Algorithm.String(),
		Period: int(cred.Period / time.Second)}
	for i := range req.Count {
		c, err := oathCode(s, cred, &req, i)
		if err != nil {
			return nil, err
		}
		res.Codes = append(res.Codes, c)
	}
	res.Digits = len(res.Codes[0].Code)
	return res, nil
}

// openPCSC avoids handing back a typed nil *pcsc.Card as a non-nil Card.
func openPCSC() (Card, error) {
	c, err := pcsc.Open("")
	if err != nil {
		return nil, err
	}
	return c, nil
}

// selectCredential selects the applet, unlocks it if it is locked, and
// finds the credential req names.
func selectCredential(s *ykoath.Session, req *YubiOATHRequest) (ykoath.Credential, error) {
	info, err := s.Select()
	if err != nil {
		return ykoath.Credential{}, err
	}
	if info.Locked {
		if err := unlockOATH(s, req); err != nil {
			return ykoath.Credential{}, err
		}
	}
	creds, err := s.List()
	if err != nil {
		return ykoath.Credential{}, err
	}
	return ykoath.Find(creds, req.Name)
}

func unlockOATH(s *ykoath.Session, req *YubiOATHRequest) error {
	if req.Password == nil {
		return ErrOATHLocked
	}
	pw, err := req.Password()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOATHLocked, err)
	}
	defer clear(pw)
	return s.Validate(pw)
}

// oathCode is the i-th code from Now: TOTP at Now + i periods, HOTP the
// card's next counter value.
func oathCode(s *ykoath.Session, cred ykoath.Credential, req *YubiOATHRequest, i int) (Code, error) {
	if cred.Type != ykoath.TOTP {
		code, err := s.Calculate(cred, req.Now)
		return Code{Code: code}, err
	}
	if cred.Period <= 0 {
		return Code{}, fmt.Errorf("client: credential %q has no usable TOTP period", cred.ID)
	}
	at := req.Now.Add(time.Duration(i) * cred.Period)
	if req.Next {
		at = at.Add(cred.Period)
	}
	code, err := s.Calculate(cred, at)
	if err != nil {
		return Code{}, err
	}
	step := uint64(at.Unix()) / uint64(cred.Period/time.Second)
	from := time.Unix(int64(step)*int64(cred.Period/time.Second), 0).UTC()
	return Code{Code: code, Counter: step, ValidFrom: from, ValidUntil: from.Add(cred.Period)}, nil
}
