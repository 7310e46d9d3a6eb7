package apikey

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"otpgate.dev/otpgate/internal/secretbox"
	"otpgate.dev/otpgate/internal/store"
)

// yubicoColumn names the sealed key in its associated data.
const yubicoColumn = "api_key"

// createAttempts bounds the retries when another process takes the next
// client ID first.
const createAttempts = 8

// CreateYubico issues a Yubico validation client: the next free client ID
// and a random HMAC-SHA1 key, sealed in the store. Created.Key is the key in
// base64, as yubikey-val gives it out.
func (m *Manager) CreateYubico(ctx context.Context, name string) (Created, error) {
	if err := checkName(name); err != nil {
		return Created{}, err
	}
	key := random(YubicoKeySize)
	defer clear(key)
	for range createAttempts {
		id, err := m.nextYubicoID(ctx)
		if err != nil {
			return Created{}, err
		}
		k := store.APIKey{ID: id, Kind: store.YubicoClient, Scope: ScopeVerify, Name: name,
			Secret: m.box.Seal(key, secretbox.AAD(id, yubicoColumn)), Created: m.now()}
		err = m.st.AddAPIKey(ctx, &k)
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return Created{}, fmt.Errorf("apikey: create Yubico client: %w", err)
		}
		k.Secret = nil
		return Created{APIKey: k, Key: base64.StdEncoding.EncodeToString(key)}, nil
	}
	return Created{}, errors.New("apikey: create Yubico client: other processes took every client ID tried; try again")
}

// nextYubicoID returns one more than the highest client ID given out, revoked
// ones included, so that an ID names one client forever.
func (m *Manager) nextYubicoID(ctx context.Context) (string, error) {
	ks, err := m.st.APIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("apikey: create Yubico client: %w", err)
	}
	high := uint64(0)
	for _, k := range ks {
		if n, err := strconv.ParseUint(k.ID, 10, 32); err == nil && k.Kind == store.YubicoClient {
			high = max(high, n)
		}
	}
	return strconv.FormatUint(high+1, 10), nil
}

// YubicoKey returns the HMAC key of the Yubico client id, or ErrInvalid
// when there is no such client or it is revoked. Clear the key after use.
func (m *Manager) YubicoKey(ctx context.Context, id string) ([]byte, error) {
	k, err := m.st.APIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	if k.Kind != store.YubicoClient || !k.Revoked.IsZero() {
		return nil, ErrInvalid
	}
	key, err := m.box.Open(k.Secret, secretbox.AAD(id, yubicoColumn))
	if err != nil {
		return nil, fmt.Errorf("apikey: Yubico client %s: %w", id, err)
	}
	return key, nil
}

// Reseal seals every Yubico client's key, revoked ones too, under the key
// box seals with: the step of a master-key rotation after the tokens'
// (package admin's Rekey), while box still opens the old key. It returns
// how many it resealed.
func (m *Manager) Reseal(ctx context.Context) (int, error) {
	ks, err := m.st.APIKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("apikey: reseal: %w", err)
	}
	n := 0
	for _, k := range ks {
		if k.Kind != store.YubicoClient {
			continue
		}
		sealed, err := m.box.Reseal(k.Secret, secretbox.AAD(k.ID, yubicoColumn))
		if err != nil {
			return n, fmt.Errorf("apikey: reseal Yubico client %s: %w", k.ID, err)
		}
		if err := m.st.SetAPIKeySecret(ctx, k.ID, sealed); err != nil {
			return n, fmt.Errorf("apikey: reseal: %w", err)
		}
		n++
	}
	return n, nil
}
