// Package enroll creates tokens: it draws a secret from crypto/rand (a
// 160-bit OATH seed, as RFC 4226 section 4 recommends, or a 128-bit Yubico
// AES key and a 48-bit private ID), gives the token a random ID, seals its
// secrets with that ID as associated data (package secretbox), and stores it.
// [KeyURI] writes the otpauth:// URI that authenticator apps scan.
//
// Use [Spec.Complete] to fill in what the admin left out (and see the secret
// to show), then [Enroll]; [NewToken] makes the sealed token without storing
// it, for bulk loads.
package enroll

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
	"otpgate.dev/otpgate/internal/yubiotp"
)

// The columns whose values are sealed, named in their associated data
// (secretbox.AAD(token.ID, column)). Whoever opens or reseals them uses these.
const (
	ColumnSecret    = "secret"
	ColumnPrivateID = "private_id"
)

// Secret sizes.
const (
	OATHSecretSize = 20 // 160 bits, RFC 4226 section 4 R6 recommends it
	// MinOATHSecretSize admits the 80-bit seeds older Google Authenticator
	// set-ups made, so they can be imported; RFC 4226 asks for 128 bits.
	MinOATHSecretSize = 10
	MaxOATHSecretSize = 128
)

// MaxCounter bounds an HOTP token's first counter, far above any real one,
// so that counters never come near overflowing.
const MaxCounter = 1 << 48

// Spec describes a token to enroll.
type Spec struct {
	User    string
	Type    store.TokenType
	Comment string
	// Issuer is the name authenticator apps show the token under, kept
	// with the token for its URI and its exports; "" for none.
	Issuer string
	// Params are the OATH parameters; the zero value means otp.DefaultParams.
	Params otp.Params
	// Secret is the OATH seed or Yubico AES key; nil draws a new one.
	Secret []byte
	// Counter is an HOTP token's first counter (the seed's moving factor
	// seed); 0 for a new token.
	Counter int64
	// Identifier is a prefixed HOTP token's identifier (required) or a
	// Yubico token's public ID (modhex; empty draws "vv" and 10 random
	// characters, the range Yubico leaves to self-programmed keys).
	Identifier string
	// PrivateID is a Yubico token's private ID; nil draws a new one.
	PrivateID []byte
}

// NewSecret returns a new random secret for a token of type t: 20 bytes for
// OATH tokens, 16 for Yubico OTP.
func NewSecret(t store.TokenType) []byte {
	if t == store.Yubico {
		return random(yubiotp.KeySize)
	}
	return random(OATHSecretSize)
}

// random returns n bytes from crypto/rand, which never fails.
func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Complete returns s with its defaults filled in, its user name in the
// form names are stored in (username.Canonical), and random values drawn
// for the secrets left empty, or an error saying what is wrong with s.
func (s Spec) Complete() (Spec, error) {
	if s.User == "" {
		return s, errors.New("enroll: a user name is required")
	}
	user, err := username.Canonical(s.User)
	if err != nil {
		return s, fmt.Errorf("enroll: %w", err)
	}
	s.User = user
	if s.Secret == nil {
		s.Secret = NewSecret(s.Type)
	}
	switch s.Type {
	case store.HOTP, store.HOTPPrefixed, store.TOTP:
		return s.completeOATH()
	case store.Yubico:
		return s.completeYubico()
	}
	return s, fmt.Errorf("enroll: unknown token type %q (accepted: %s, %s, %s, %s)", s.Type, store.TOTP, store.HOTP, store.HOTPPrefixed, store.Yubico)
}

func (s Spec) completeOATH() (Spec, error) {
	if s.Params == (otp.Params{}) {
		s.Params = otp.DefaultParams()
	}
	if s.Params.Period == 0 {
		s.Params.Period = otp.DefaultPeriod
	}
	if err := s.Params.Validate(); err != nil {
		return s, fmt.Errorf("enroll: %w", err)
	}
	if n := len(s.Secret); n < MinOATHSecretSize || n > MaxOATHSecretSize {
		return s, fmt.Errorf("enroll: OATH secret of %d bytes (accepted: %d to %d; %d recommended)", n, MinOATHSecretSize, MaxOATHSecretSize, OATHSecretSize)
	}
	if s.Counter < 0 || s.Counter > MaxCounter {
		return s, fmt.Errorf("enroll: counter %d (accepted: 0 to %d)", s.Counter, int64(MaxCounter))
	}
	if s.Type == store.HOTPPrefixed && s.Identifier == "" {
		return s, errors.New("enroll: a prefixed HOTP token needs its identifier (the characters it sends before the code)")
	}
	if s.Type != store.HOTPPrefixed && s.Identifier != "" {
		return s, fmt.Errorf("enroll: a %s token has no identifier", s.Type)
	}
	return s, nil
}

func (s Spec) completeYubico() (Spec, error) {
	if len(s.Secret) != yubiotp.KeySize {
		return s, fmt.Errorf("enroll: Yubico AES key of %d bytes (accepted: %d)", len(s.Secret), yubiotp.KeySize)
	}
	if s.PrivateID == nil {
		s.PrivateID = random(yubiotp.PrivateIDSize)
	}
	if len(s.PrivateID) != yubiotp.PrivateIDSize {
		return s, fmt.Errorf("enroll: Yubico private ID of %d bytes (accepted: %d)", len(s.PrivateID), yubiotp.PrivateIDSize)
	}
	if s.Identifier == "" {
		s.Identifier = "vv" + yubiotp.EncodeModhex(random(yubiotp.PublicIDLen/2-1))
	}
	if len(s.Identifier) > yubiotp.MaxPublicIDLen || !yubiotp.IsModhex(s.Identifier) {
		return s, fmt.Errorf("enroll: Yubico public ID must be 1 to %d lower-case modhex characters (%s)", yubiotp.MaxPublicIDLen, yubiotp.Alphabet)
	}
	return s, nil
}

// Enroll completes s, creates its user if missing, and stores the token
// with its secrets sealed by box. It returns the stored token.
func Enroll(ctx context.Context, st store.Store, box *secretbox.Box, s Spec, now time.Time) (store.Token, error) {
	t, err := NewToken(box, s, now)
	if err != nil {
		return store.Token{}, err
	}
	if _, err := st.CreateUser(ctx, t.User); err != nil && !errors.Is(err, store.ErrExists) {
		return store.Token{}, fmt.Errorf("enroll: create user %q: %w", t.User, err)
	}
	if err := st.AddToken(ctx, &t); err != nil {
		return store.Token{}, fmt.Errorf("enroll: add token for user %q: %w", t.User, err)
	}
	return t, nil
}

// NewToken completes s and returns the token it describes, with a new random
// ID and its secrets sealed by box under that ID, without storing it: for
// imports and bulk loads that write many tokens together.
func NewToken(box *secretbox.Box, s Spec, now time.Time) (store.Token, error) {
	s, err := s.Complete()
	if err != nil {
		return store.Token{}, err
	}
	t := store.Token{
		ID: rand.Text(), User: s.User, Type: s.Type, Enabled: true, Comment: s.Comment, Issuer: s.Issuer,
		Params: s.Params, Identifier: s.Identifier, Next: s.Counter,
		ConfiguredAt: now, Created: now,
	}
	t.Secret = box.Seal(s.Secret, secretbox.AAD(t.ID, ColumnSecret))
	if s.Type == store.Yubico {
		t.PrivateID = box.Seal(s.PrivateID, secretbox.AAD(t.ID, ColumnPrivateID))
	}
	return t, nil
}
