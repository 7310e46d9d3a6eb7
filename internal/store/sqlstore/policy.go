package sqlstore

import (
	"database/sql"

	"otpgate.dev/otpgate/internal/store"
)

// The statements of local groups and recovery codes (migration 0008).
const (
	InsertGroupMember  = `INSERT INTO group_members (group_name, user_name, created) VALUES ($1, $2, $3)`
	DeleteGroupMember  = `DELETE FROM group_members WHERE group_name = $1 AND user_name = $2`
	SelectUserGroups   = `SELECT group_name FROM group_members WHERE user_name = $1 ORDER BY group_name`
	SelectGroupMembers = `SELECT user_name FROM group_members WHERE group_name = $1 ORDER BY user_name`
	SelectGroups       = `SELECT group_name, COUNT(*) FROM group_members GROUP BY group_name ORDER BY group_name`

	// CountUser says whether a user exists.
	CountUser = `SELECT COUNT(*) FROM users WHERE name = $1`

	RecoveryColumns     = `id, user_name, hash, digits, created, used`
	InsertRecoveryCode  = `INSERT INTO recovery_codes (` + RecoveryColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`
	DeleteRecoveryCodes = `DELETE FROM recovery_codes WHERE user_name = $1`
	SelectRecoveryCodes = `SELECT ` + RecoveryColumns + ` FROM recovery_codes WHERE user_name = $1 AND used IS NULL ORDER BY created, id`
	// UseRecoveryCode is the single-use guard: zero rows changed means the
	// code was spent already (or does not exist).
	UseRecoveryCode = `UPDATE recovery_codes SET used = $2 WHERE id = $1 AND used IS NULL`
)

// RecoveryArgs are InsertRecoveryCode's arguments for c.
func RecoveryArgs(c store.RecoveryCode) []any {
	return []any{c.ID, c.User, c.Hash, c.Digits, Nanos(c.Created), Time(c.Used)}
}

// ScanRecoveryCode reads a row of RecoveryColumns.
func ScanRecoveryCode(row Scanner) (store.RecoveryCode, error) {
	var (
		c       store.RecoveryCode
		created int64
		used    sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.User, &c.Hash, &c.Digits, &created, &used)
	c.Created, c.Used = FromNanos(created), FromNull(used)
	return c, err
}
