package oob

import (
	"crypto/rand"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// Sealer seals a token's address: *secretbox.Box.
type Sealer interface {
	Seal(plain, aad []byte) []byte
}

// Opener opens a token's address: *secretbox.Box.
type Opener interface {
	Open(sealed, aad []byte) ([]byte, error)
}

// NewToken returns an out-of-band token of user whose codes go to addr by
// ch. The address is personal data, so it is sealed like an OATH secret
// (the token's Secret, with the token ID as associated data): a rekey
// reseals it, and a copy of the database shows no address. It is not
// stored yet.
func NewToken(box Sealer, user string, ch Channel, addr string, now time.Time) (store.Token, error) {
	addr, err := ParseAddress(ch, addr)
	if err != nil {
		return store.Token{}, err
	}
	t := store.Token{ID: rand.Text(), User: user, Type: store.TokenType(ch), Enabled: true,
		Params: otp.Params{Algorithm: otp.SHA1, Digits: DefaultDigits}, Created: now, ConfiguredAt: now}
	t.Secret = box.Seal([]byte(addr), secretbox.AAD(t.ID, enroll.ColumnSecret))
	return t, nil
}

// TargetOf returns where tok's codes go, opening its address.
func TargetOf(box Opener, tok store.Token) (Target, error) {
	if !tok.Type.OutOfBand() {
		return Target{}, fmt.Errorf("oob: token %s is a %s token, not an email or SMS token", tok.ID, tok.Type)
	}
	addr, err := box.Open(tok.Secret, secretbox.AAD(tok.ID, enroll.ColumnSecret))
	if err != nil {
		return Target{}, fmt.Errorf("oob: address of token %s: %w", tok.ID, err)
	}
	return Target{User: tok.User, TokenID: tok.ID, Channel: Channel(tok.Type), Address: string(addr)}, nil
}

// Target returns where tok's codes go.
func (svc *Service) Target(tok store.Token) (Target, error) { return TargetOf(svc.box, tok) }
