package engine

import (
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// checkYubico checks a Yubico OTP: its public ID names the token, it must
// decrypt under the token's AES key with a good CRC, carry the token's
// private ID, and a counter not below Next.
func (e *Engine) checkYubico(t *store.Token, code string) (attempt, error) {
	o, err := yubiotp.Parse(code)
	if err != nil || o.PublicID != t.Identifier {
		return attempt{}, nil
	}
	key, err := e.openSecret(t)
	if err != nil {
		return attempt{}, err
	}
	defer clear(key)
	p, err := o.Decrypt(key)
	if errors.Is(err, yubiotp.ErrCRC) {
		return refused(store.ResultFail, ReasonCRC), nil
	}
	if err != nil {
		return attempt{}, fmt.Errorf("engine: token %s: %w", t.ID, err)
	}
	return e.checkYubicoFields(t, &p)
}

// checkYubicoFields checks a decrypted OTP's private ID and counter.
func (e *Engine) checkYubicoFields(t *store.Token, p *yubiotp.Plaintext) (attempt, error) {
	pid, err := e.openPrivateID(t)
	if err != nil {
		return attempt{}, err
	}
	defer clear(pid)
	if !yubiotp.EqualPrivateID(p.PrivateID[:], pid) {
		return refused(store.ResultFail, ReasonPrivateID), nil
	}
	c := p.Counter()
	if c < t.Next {
		return refused(store.ResultReplay, ReasonReplay), nil
	}
	return matched(c+1, t.Drift, fmt.Sprintf("yubico usage counter %d, session counter %d", c>>8, c&0xff)), nil
}
