package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/apikey"
	"otpgate.dev/otpgate/internal/enroll"
	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/site"
	"otpgate.dev/otpgate/internal/store"
)

// Rekey rotates the master key of s: a new random key file, every token
// secret resealed under it in one transaction, then the HTTPS front end's
// Yubico client keys, then the old key removed. An interrupted rotation
// (the old key still beside the new one) is finished instead of starting
// another. It returns how many tokens were resealed.
func Rekey(ctx context.Context, s *site.Site) (int, error) {
	h, err := s.Open(ctx, site.MustExist)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	st, keyPath := h.Store, s.KeyFile
	box, err := secretbox.Rekey(keyPath)
	if errors.Is(err, secretbox.ErrRekeyPending) {
		box, err = secretbox.Load(keyPath) // finish the interrupted rotation
	}
	if err != nil {
		return 0, fmt.Errorf("admin: rekey %q: %w", keyPath, err)
	}
	n := 0
	err = st.Reseal(ctx, func(t *store.Token) error {
		n++
		return resealToken(box, t)
	})
	if err == nil {
		_, err = apikey.New(st, box, time.Now).Reseal(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("admin: reseal (the old key is kept beside the new one; run rekey again): %w", err)
	}
	if err := secretbox.FinishRekey(keyPath); err != nil {
		return n, fmt.Errorf("admin: %w", err)
	}
	return n, nil
}

func resealToken(box *secretbox.Box, t *store.Token) error {
	var err error
	if t.Secret, err = box.Reseal(t.Secret, secretbox.AAD(t.ID, enroll.ColumnSecret)); err != nil {
		return fmt.Errorf("token %s secret: %w", t.ID, err)
	}
	if len(t.PrivateID) > 0 {
		if t.PrivateID, err = box.Reseal(t.PrivateID, secretbox.AAD(t.ID, enroll.ColumnPrivateID)); err != nil {
			return fmt.Errorf("token %s private id: %w", t.ID, err)
		}
	}
	return nil
}
