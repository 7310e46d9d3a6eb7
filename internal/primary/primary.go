// Package primary checks the first factor of a VPN login: the password.
// Use [None] when the VPN already authenticates the user by certificate and
// the one-time code is the only secret asked, or [LoadHtpasswd] for an
// Apache htpasswd file of bcrypt hashes (htpasswd -B).
package primary

import "context"

// Checker checks a user's password. Check reports false, with a nil error,
// for a wrong password or an unknown user: a caller never learns which.
type Checker interface {
	Check(ctx context.Context, user, password string) (bool, error)
}

// None accepts every password: the certificate is the first factor.
type None struct{}

// Check always succeeds.
func (None) Check(context.Context, string, string) (bool, error) { return true, nil }
