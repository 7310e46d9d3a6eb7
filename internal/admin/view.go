package admin

import (
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// UserSummary is one user in [Admin.List].
type UserSummary struct {
	User   string         `json:"user"`
	Tokens []TokenSummary `json:"tokens"`
}

// TokenSummary is one token in [Admin.List]: no secret, no parameters.
type TokenSummary struct {
	ID          string          `json:"id"`
	Type        store.TokenType `json:"type"`
	Enabled     bool            `json:"enabled"`
	Locked      bool            `json:"locked"`
	LastSuccess *time.Time      `json:"last_success"`
}

// TokenInfo is every property of a token that [Admin.Show] reports: all but
// its sealed secrets. Times that never happened are nil.
type TokenInfo struct {
	ID         string          `json:"id"`
	User       string          `json:"user"`
	Type       store.TokenType `json:"type"`
	Enabled    bool            `json:"enabled"`
	Comment    string          `json:"comment"`
	Algorithm  string          `json:"algorithm,omitempty"`
	Digits     int             `json:"digits,omitempty"`
	Period     int64           `json:"period,omitempty"` // seconds, TOTP only
	T0         int64           `json:"t0,omitempty"`
	Identifier string          `json:"identifier,omitempty"`
	// Next is the lowest counter the token may still accept (store.Token).
	Next int64 `json:"next"`
	// Sequence says what Next counts, for people.
	Sequence     string     `json:"sequence"`
	Drift        int64      `json:"drift"`
	Failures     int        `json:"failures"`
	Locked       bool       `json:"locked"`
	LockedUntil  *time.Time `json:"locked_until"`
	LastCheck    *time.Time `json:"last_check"`
	LastSuccess  *time.Time `json:"last_success"`
	ConfiguredAt *time.Time `json:"configured"`
	Created      *time.Time `json:"created"`
	// OOB is set for an email or SMS token.
	OOB *OOBInfo `json:"oob,omitempty"`
}

func summary(t *store.Token, now time.Time) TokenSummary {
	return TokenSummary{
		ID: t.ID, Type: t.Type, Enabled: t.Enabled, Locked: t.Locked(now),
		LastSuccess: timePtr(t.LastSuccess),
	}
}

func info(t *store.Token, now time.Time) TokenInfo {
	ti := TokenInfo{
		ID: t.ID, User: t.User, Type: t.Type, Enabled: t.Enabled, Comment: t.Comment,
		Identifier: t.Identifier, Next: t.Next, Sequence: sequence(t), Drift: t.Drift,
		Failures: t.Failures, Locked: t.Locked(now), LockedUntil: timePtr(t.LockedUntil),
		LastCheck: timePtr(t.LastCheck), LastSuccess: timePtr(t.LastSuccess),
		ConfiguredAt: timePtr(t.ConfiguredAt), Created: timePtr(t.Created),
	}
	if t.Type != store.Yubico && !t.Type.OutOfBand() {
		ti.Algorithm = t.Params.Algorithm.String()
		ti.Digits = t.Params.Digits
	}
	if t.Type == store.TOTP {
		ti.Period = int64(t.Params.Period / time.Second)
		ti.T0 = t.Params.T0
	}
	return ti
}

// sequence describes Next in the token's own terms.
func sequence(t *store.Token) string {
	switch t.Type {
	case store.TOTP:
		return "next unused time step"
	case store.Yubico:
		return "next usage<<8|session counter"
	case store.Email, store.SMS:
		return "codes accepted"
	}
	return "next HOTP counter"
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
