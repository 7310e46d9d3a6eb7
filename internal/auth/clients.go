package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"

	"otpgate.dev/otpgate/internal/store"
)

// The limit of one client. Every refused login counts one failure against
// the client it came from (Request.Client), whatever the user, the reason
// or the style; past Config.ClientLimit the client is refused, with the
// same work as any refusal, until the lock ends. A success does not clear
// the count: an attacker with one account of their own must not be able to
// reset it between guesses at others'. Without a client address nothing is
// counted: a front end that knows only its NAS must not lock the NAS out.

// clientDenied returns the reason to refuse req's client, or "".
func (s *Service) clientDenied(ctx context.Context, req Request) (string, error) {
	if req.Client == "" {
		return "", nil
	}
	now := s.now()
	f, err := s.store.LoginFailure(ctx, store.ClientSubject(clientKey(req.Client)), now)
	if err != nil {
		return "", fmt.Errorf("auth: failed logins of the client: %w", err)
	}
	if !f.LockedUntil.IsZero() && now.Before(f.LockedUntil) {
		return ReasonClientLocked, nil
	}
	return "", nil
}

// countClient counts a refused login against req's client.
func (s *Service) countClient(ctx context.Context, req Request) error {
	if req.Client == "" {
		return nil
	}
	_, err := s.store.RecordLoginFailure(ctx, store.ClientSubject(clientKey(req.Client)), s.now(), s.cfg.ClientLimit, nil)
	if err != nil {
		return fmt.Errorf("auth: count a failed login of the client: %w", err)
	}
	return nil
}

// clientKey is what a client is counted under: an IPv4 address as it is
// (an IPv4-mapped IPv6 one too), an IPv6 address by its /64, which one
// subscriber or host usually holds whole, and anything else (a MAC address
// as a NAS reports it) as given, hashed when long.
func clientKey(client string) string {
	if a, err := netip.ParseAddr(client); err == nil {
		a = a.Unmap().WithZone("")
		if a.Is6() {
			return netip.PrefixFrom(a, 64).Masked().String()
		}
		return a.String()
	}
	if len(client) > maxClientKey {
		sum := sha256.Sum256([]byte(client))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	return client
}

const maxClientKey = 64
