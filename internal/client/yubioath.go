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

// oathCodes returns codes from a YubiKey's OATH applet, as OpenConnect's
// --token-mode=yubioath does. Source.Secret picks the credential as
// ykoath.Find does: the exact ID, the "issuer:name" or "period/issuer:name"
// forms ykman shows, or "" for the first credential. For an HOTP credential
// every code advances the counter kept on the card. A wrong applet password
// gives an error wrapping ykoath.ErrWrongPassword.
func (t *Token) oathCodes(q Query) (*Result, error) {
	open := t.src.OpenCard
	if open == nil {
		open = openPCSC
	}
	card, err := open()
	if err != nil {
		return nil, err
	}
	defer card.Close()
	s := ykoath.NewSession(card)
	cred, err := t.selectCredential(s)
	if err != nil {
		return nil, err
	}
	if cred.Type == ykoath.HOTP && q.Next {
		return nil, errors.New("client: --next is for time-based credentials; each HOTP code already advances the card's counter")
	}
	res := &Result{Mode: "yubioath", Form: strings.ToLower(cred.Type.String()), Algorithm: cred.Algorithm.String(),
		Period: int(cred.Period / time.Second)}
	for i := range q.Count {
		c, err := oathCode(s, cred, q, i)
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
// finds the credential the Source names.
func (t *Token) selectCredential(s *ykoath.Session) (ykoath.Credential, error) {
	info, err := s.Select()
	if err != nil {
		return ykoath.Credential{}, err
	}
	if info.Locked {
		if err := t.unlockOATH(s); err != nil {
			return ykoath.Credential{}, err
		}
	}
	creds, err := s.List()
	if err != nil {
		return ykoath.Credential{}, err
	}
	return ykoath.Find(creds, t.src.Secret)
}

func (t *Token) unlockOATH(s *ykoath.Session) error {
	pw := []byte(t.env.getenv(EnvYubiKeyPassword))
	if len(pw) == 0 {
		var err error
		if pw, err = t.env.ask("YubiKey OATH password: "); err != nil {
			return fmt.Errorf("%w: %w", ErrOATHLocked, err)
		}
	}
	return s.Validate(pw)
}

// oathCode is the i-th code from Now: TOTP at Now + i periods, HOTP the
// card's next counter value.
func oathCode(s *ykoath.Session, cred ykoath.Credential, q Query, i int) (Code, error) {
	if cred.Type != ykoath.TOTP {
		code, err := s.Calculate(cred, q.Now)
		return Code{Code: code}, err
	}
	if cred.Period <= 0 {
		return Code{}, fmt.Errorf("client: credential %q has no usable TOTP period", cred.ID)
	}
	at := q.Now.Add(time.Duration(i) * cred.Period)
	if q.Next {
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
