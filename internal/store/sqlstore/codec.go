package sqlstore

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// Every time is stored as Unix nanoseconds in UTC. An int64 of nanoseconds
// ends in 2262, so later times (store.Forever) are stored as the largest
// int64 and read back as store.Forever.
var (
	maxNano = time.Unix(0, math.MaxInt64)
	minNano = time.Unix(0, math.MinInt64+1)
)

// Time returns t as a column value: nil (NULL) for the zero time, its Unix
// nanoseconds otherwise.
func Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Nanos(t)
}

// Nanos returns t in Unix nanoseconds, clamped to the int64 range: times
// after 2262 become math.MaxInt64.
func Nanos(t time.Time) int64 {
	switch {
	case t.After(maxNano):
		return math.MaxInt64
	case t.Before(minNano):
		return math.MinInt64 + 1
	}
	return t.UnixNano()
}

// FromNanos is the inverse of Nanos, in UTC.
func FromNanos(n int64) time.Time {
	if n == math.MaxInt64 {
		return store.Forever
	}
	return time.Unix(0, n).UTC()
}

// FromNull is the inverse of Time.
func FromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return FromNanos(n.Int64)
}

// Scanner is a row: *sql.Row, *sql.Rows, and pgx's rows have it.
type Scanner interface {
	Scan(dest ...any) error
}

// TokenColumns are the tokens columns in the order of TokenArgs and ScanToken.
const TokenColumns = `id, user_name, type, enabled, comment, secret, algorithm, digits, period_ns, t0,
	identifier, private_id, next_counter, drift, failures, locked_until, last_check, last_success,
	configured_at, created, issuer`

// TokenArgs returns t's values for TokenColumns.
func TokenArgs(t *store.Token) []any {
	return []any{
		t.ID, t.User, string(t.Type), t.Enabled, t.Comment, nonNil(t.Secret),
		t.Params.Algorithm.String(), t.Params.Digits, int64(t.Params.Period), t.Params.T0,
		nullString(t.Identifier), nullBytes(t.PrivateID), t.Next, t.Drift, t.Failures,
		Time(t.LockedUntil), Time(t.LastCheck), Time(t.LastSuccess),
		Nanos(t.ConfiguredAt), Nanos(t.Created), t.Issuer,
	}
}

// ScanToken reads a row of TokenColumns.
func ScanToken(row Scanner) (store.Token, error) {
	var (
		t                      store.Token
		typ, alg               string
		period                 int64
		ident                  sql.NullString
		locked, check, success sql.NullInt64
		configured, created    int64
	)
	err := row.Scan(&t.ID, &t.User, &typ, &t.Enabled, &t.Comment, &t.Secret,
		&alg, &t.Params.Digits, &period, &t.Params.T0,
		&ident, &t.PrivateID, &t.Next, &t.Drift, &t.Failures,
		&locked, &check, &success, &configured, &created, &t.Issuer)
	if err != nil {
		return store.Token{}, err
	}
	if t.Params.Algorithm, err = otp.ParseAlgorithm(alg); err != nil {
		return store.Token{}, fmt.Errorf("sqlstore: token %q: %w", t.ID, err)
	}
	t.Type = store.TokenType(typ)
	t.Params.Period = time.Duration(period)
	t.Identifier = ident.String
	t.LockedUntil, t.LastCheck, t.LastSuccess = FromNull(locked), FromNull(check), FromNull(success)
	t.ConfiguredAt, t.Created = FromNanos(configured), FromNanos(created)
	return t, nil
}

// ScanChallenge reads a row of ChallengeColumns.
func ScanChallenge(row Scanner) (store.Challenge, error) {
	var (
		c                store.Challenge
		expires, created int64
	)
	if err := row.Scan(&c.ID, &c.User, &c.Kind, &c.Data, &expires, &created); err != nil {
		return store.Challenge{}, err
	}
	c.Expires, c.Created = FromNanos(expires), FromNanos(created)
	return c, nil
}

// ScanAudit reads a row of AuditRead.
func ScanAudit(row Scanner) (store.AuditEvent, error) {
	var (
		e                     store.AuditEvent
		at                    int64
		actor, action, result string
	)
	err := row.Scan(&e.Seq, &at, &actor, &action, &e.User, &e.TokenID, &result, &e.Reason, &e.Source)
	e.Time = FromNanos(at)
	e.Actor, e.Action, e.Result = store.Actor(actor), store.Action(action), store.Result(result)
	return e, err
}

// AuditArgs returns e's values for AuditColumns.
func AuditArgs(e store.AuditEvent) []any {
	return []any{Nanos(e.Time), string(e.Actor), string(e.Action), e.User, e.TokenID, string(e.Result), e.Reason, e.Source}
}

// CommitOutcome says why CommitSuccess at now changed no row of a token
// that exists, from the row's enabled and locked_until.
func CommitOutcome(enabled bool, locked sql.NullInt64, now time.Time) store.Commit {
	switch {
	case !enabled:
		return store.Disabled
	case locked.Valid && locked.Int64 > Nanos(now):
		return store.Locked
	}
	return store.Replayed
}

// ChallengeArgs returns c's values for ChallengeColumns.
func ChallengeArgs(c store.Challenge) []any {
	return []any{c.ID, c.User, c.Kind, nonNil(c.Data), Nanos(c.Expires), Nanos(c.Created)}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// nonNil keeps a nil slice from becoming NULL in a NOT NULL column.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// SecretArgs returns the arguments of UpdateSecrets for t.
func SecretArgs(t *store.Token) []any {
	return []any{t.ID, nonNil(t.Secret), nullBytes(t.PrivateID)}
}

// UpdateTokenArgs returns the arguments of UpdateToken for t.
func UpdateTokenArgs(t *store.Token) []any {
	return []any{
		t.ID, t.Enabled, t.Comment, t.Params.Algorithm.String(), t.Params.Digits,
		int64(t.Params.Period), t.Params.T0, t.Next, t.Drift, nonNil(t.Secret),
		nullBytes(t.PrivateID), nullString(t.Identifier), Nanos(t.ConfiguredAt),
	}
}
