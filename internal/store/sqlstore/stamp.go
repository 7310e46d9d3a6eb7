package sqlstore

import (
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// Now stamps rows whose time the caller left zero: UTC, without the
// monotonic reading, as the row will read back.
func Now() time.Time { return time.Now().UTC() }

// OrNow returns t, or Now when t is zero.
func OrNow(t time.Time) time.Time {
	if t.IsZero() {
		return Now()
	}
	return t
}

// PrepareTokens checks tokens before an insert and completes their times
// as store.Store.AddToken promises: a zero Created becomes created, a zero
// ConfiguredAt becomes Created.
func PrepareTokens(created time.Time, tokens ...*store.Token) error {
	for _, t := range tokens {
		if err := CheckToken(t); err != nil {
			return err
		}
	}
	for _, t := range tokens {
		if t.Created.IsZero() {
			t.Created = created
		}
		if t.ConfiguredAt.IsZero() {
			t.ConfiguredAt = t.Created
		}
	}
	return nil
}

// CheckToken refuses a token the store cannot write.
func CheckToken(t *store.Token) error {
	if t.ID == "" || t.User == "" {
		return errors.New("a token needs its ID and User set")
	}
	if _, err := otp.ParseAlgorithm(t.Params.Algorithm.String()); err != nil {
		return fmt.Errorf("token %q: %w", t.ID, err)
	}
	return nil
}
