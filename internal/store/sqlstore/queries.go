package sqlstore

import (
	"strconv"
	"strings"

	"otpgate.dev/otpgate/internal/store"
)

// The statements every SQL store runs. They are portable between SQLite and
// PostgreSQL: $n placeholders, RETURNING, CASE instead of MAX/GREATEST.
const (
	InsertUser  = `INSERT INTO users (name, created) VALUES ($1, $2)`
	SelectUser  = `SELECT name, created FROM users WHERE name = $1`
	SelectUsers = `SELECT name, created FROM users ORDER BY name`
	// DeleteUser cascades to the user's tokens; challenges have no foreign
	// key and go with DeleteUserChallenges in the same transaction.
	DeleteUser           = `DELETE FROM users WHERE name = $1`
	DeleteUserChallenges = `DELETE FROM challenges WHERE user_name = $1`

	InsertToken = `INSERT INTO tokens (` + TokenColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`
	SelectToken             = `SELECT ` + TokenColumns + ` FROM tokens WHERE id = $1`
	SelectTokenByIdentifier = `SELECT ` + TokenColumns + ` FROM tokens WHERE identifier = $1`
	SelectTokensByUser      = `SELECT ` + TokenColumns + ` FROM tokens WHERE user_name = $1 ORDER BY created, id`
	// SelectTokenPage walks the tokens in id order, $2 at a time after id $1.
	SelectTokenPage = `SELECT ` + TokenColumns + ` FROM tokens WHERE id > $1 ORDER BY id LIMIT $2`
	DeleteToken     = `DELETE FROM tokens WHERE id = $1`
	// DeleteUserToken deletes a token only if it belongs to the user.
	DeleteUserToken = `DELETE FROM tokens WHERE id = $1 AND user_name = $2`

	// UpdateToken never lowers next_counter: an admin change made from a
	// copy read before a concurrent CommitSuccess must not reopen counters
	// that were accepted meanwhile. It returns the stored next_counter.
	UpdateToken = `UPDATE tokens SET enabled = $2, comment = $3, algorithm = $4, digits = $5,
	period_ns = $6, t0 = $7, next_counter = CASE WHEN next_counter > $8 THEN next_counter ELSE $8 END,
	drift = $9, secret = $10, private_id = $11, identifier = $12, configured_at = $13
	WHERE id = $1 RETURNING next_counter`
	UpdateSecrets = `UPDATE tokens SET secret = $2, private_id = $3 WHERE id = $1`

	// CommitSuccess is the replay guard and the lockout's: zero rows
	// changed means the counter was already used, or the token is locked at
	// $4 or disabled (or gone). The lock is in the same WHERE clause as the
	// counter, so a success cannot commit after the failure that locked its
	// token, whatever the success's request read before. The failure count
	// is not: the failure that reaches the limit sets locked_until in the
	// same statement, and a count at the limit whose lock has ended must let
	// the right code in again.
	CommitSuccess = `UPDATE tokens SET next_counter = $2, drift = $3, failures = 0, last_check = $4, last_success = $4
	WHERE id = $1 AND next_counter < $2 AND enabled AND (locked_until IS NULL OR locked_until <= $4)`
	// CommitState says why CommitSuccess changed nothing.
	CommitState = `SELECT enabled, locked_until FROM tokens WHERE id = $1`
	// RecordFailure: $3 is maxFailures, $4 lockUntil. The right-hand sides
	// see the row before the update, so failures + 1 is the new count: the
	// $3rd failure in a row locks.
	RecordFailure = `UPDATE tokens SET failures = failures + 1, last_check = $2,
	locked_until = CASE WHEN failures + 1 >= $3 THEN $4 ELSE locked_until END
	WHERE id = $1 RETURNING failures, locked_until`
	Unlock = `UPDATE tokens SET failures = 0, locked_until = NULL WHERE id = $1`

	ChallengeColumns = `id, user_name, kind, data, expires, created`
	InsertChallenge  = `INSERT INTO challenges (` + ChallengeColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`
	TakeChallenge    = `DELETE FROM challenges WHERE id = $1 RETURNING ` + ChallengeColumns
	// PurgeChallenges removes what TakeChallenge would refuse at $1.
	PurgeChallenges = `DELETE FROM challenges WHERE expires <= $1`

	AuditColumns = `logged_at, actor, action, user_name, token_id, result, reason, source`
	InsertAudit  = `INSERT INTO audit (` + AuditColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	// AuditRead is what ScanAudit reads: the columns and the event's place.
	AuditRead = `seq, ` + AuditColumns
	// SelectAuditAfter walks the trail in seq order, $2 events after seq $1.
	SelectAuditAfter = `SELECT ` + AuditRead + ` FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`
	LastAuditSeq     = `SELECT COALESCE(MAX(seq), 0) FROM audit`
	// PruneAudit deletes up to $2 of the oldest events logged before $1.
	PruneAudit = `DELETE FROM audit WHERE seq IN
	(SELECT seq FROM audit WHERE logged_at < $1 ORDER BY logged_at LIMIT $2)`
)

// SelectAudit returns the query for f, newest first, and its arguments.
func SelectAudit(f store.AuditFilter) (string, []any) {
	var (
		q     strings.Builder
		args  []any
		where []string
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.User != "" {
		where = append(where, "user_name = "+arg(f.User))
	}
	if !f.Since.IsZero() {
		where = append(where, "logged_at >= "+arg(Nanos(f.Since)))
	}
	if !f.Before.IsZero() {
		where = append(where, "logged_at < "+arg(Nanos(f.Before)))
	}
	q.WriteString(`SELECT ` + AuditRead + ` FROM audit`)
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	q.WriteString(" ORDER BY logged_at DESC, seq DESC")
	if f.Limit > 0 {
		q.WriteString(" LIMIT " + arg(f.Limit))
	}
	return q.String(), args
}
