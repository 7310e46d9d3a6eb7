package engine

import (
	"fmt"

	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// openSecret returns t's OATH seed or Yubico AES key. The caller clears it.
func (e *Engine) openSecret(t *store.Token) ([]byte, error) {
	return e.open(t, t.Secret, enroll.ColumnSecret)
}

// openPrivateID returns a Yubico token's private ID. The caller clears it.
func (e *Engine) openPrivateID(t *store.Token) ([]byte, error) {
	return e.open(t, t.PrivateID, enroll.ColumnPrivateID)
}

func (e *Engine) open(t *store.Token, sealed []byte, column string) ([]byte, error) {
	b, err := e.box.Open(sealed, secretbox.AAD(t.ID, column))
	if err != nil {
		return nil, fmt.Errorf("engine: token %s: open sealed %s: %w", t.ID, column, err)
	}
	return b, nil
}
