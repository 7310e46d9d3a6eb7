package sqlstore

import (
	"database/sql"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The statements of store.LoginFailures. A row whose expires has passed
// counts as absent: the next failure starts its count at 1.
const (
	// RecordLoginFailure: $1 subject, $2 now, $3 maxFailures, $4 lockUntil,
	// $5 rememberUntil, $6 the later of $4 and $5; $7 and $8 are the
	// locked_until and expires of a first failure (LoginFailureArgs). The
	// right-hand sides of SET see the row before the update.
	RecordLoginFailure = `INSERT INTO login_failures AS f (subject, failures, locked_until, expires)
	VALUES ($1, 1, $7, $8)
	ON CONFLICT (subject) DO UPDATE SET
	failures = CASE WHEN f.expires <= $2 THEN 1 ELSE f.failures + 1 END,
	locked_until = CASE WHEN (CASE WHEN f.expires <= $2 THEN 1 ELSE f.failures + 1 END) >= $3 THEN $4
		WHEN f.expires <= $2 THEN NULL ELSE f.locked_until END,
	expires = CASE WHEN (CASE WHEN f.expires <= $2 THEN 1 ELSE f.failures + 1 END) >= $3 THEN $6
		WHEN f.expires > $5 AND f.expires > $2 THEN f.expires ELSE $5 END
	RETURNING failures, locked_until`
	SelectLoginFailure = `SELECT failures, locked_until, expires FROM login_failures WHERE subject = $1`
	ClearLoginFailure  = `DELETE FROM login_failures WHERE subject = $1`
	PurgeLoginFailures = `DELETE FROM login_failures WHERE expires <= $1`
)

// LoginFailureArgs returns the arguments of RecordLoginFailure.
func LoginFailureArgs(subject string, now time.Time, l store.LoginLimit) []any {
	lockUntil, remember := now.Add(l.LockFor), now.Add(l.Remember)
	later := max(Nanos(lockUntil), Nanos(remember))
	first, firstExpires := any(nil), Nanos(remember)
	if l.MaxFailures <= 1 {
		first, firstExpires = Nanos(lockUntil), later
	}
	return []any{subject, Nanos(now), l.MaxFailures, Nanos(lockUntil), Nanos(remember), later, first, firstExpires}
}

// ScanLoginFailure reads a row of SelectLoginFailure as it stands at now:
// the zero Failure when it has expired.
func ScanLoginFailure(row Scanner, now time.Time) (store.Failure, error) {
	var (
		f       store.Failure
		locked  sql.NullInt64
		expires int64
	)
	if err := row.Scan(&f.Failures, &locked, &expires); err != nil {
		return store.Failure{}, err
	}
	if expires <= Nanos(now) {
		return store.Failure{}, nil
	}
	f.LockedUntil = FromNull(locked)
	return f, nil
}
