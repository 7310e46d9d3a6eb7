package sqlstore

import (
	"errors"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// The statements of store.WebSessions.
const (
	WebSessionColumns = `id, user_name, stage, data, created, seen, expires`
	InsertWebSession  = `INSERT INTO web_sessions (` + WebSessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	// TouchWebSession: $2 is now, $3 now minus the idle timeout.
	TouchWebSession = `UPDATE web_sessions SET seen = $2 WHERE id = $1 AND expires > $2 AND seen > $3
	RETURNING ` + WebSessionColumns
	UpdateWebSession      = `UPDATE web_sessions SET user_name = $2, stage = $3, data = $4 WHERE id = $1`
	DeleteWebSession      = `DELETE FROM web_sessions WHERE id = $1`
	DeleteUserWebSessions = `DELETE FROM web_sessions WHERE user_name = $1`
	PurgeWebSessions      = `DELETE FROM web_sessions WHERE expires <= $1 OR seen <= $2`

	WebInviteColumns = `id, user_name, created_by, created, expires`
	InsertWebInvite  = `INSERT INTO web_invites (` + WebInviteColumns + `) VALUES ($1, $2, $3, $4, $5)`
	TakeWebInvite    = `DELETE FROM web_invites WHERE id = $1 RETURNING ` + WebInviteColumns
	PurgeWebInvites  = `DELETE FROM web_invites WHERE expires <= $1`

	CountUserTokens = `SELECT COUNT(*) FROM tokens WHERE user_name = $1`
)

// PrepareWebSession checks s before an insert.
func PrepareWebSession(s *store.WebSession) error {
	if len(s.ID) == 0 || s.User == "" || s.Created.IsZero() || s.Seen.IsZero() || s.Expires.IsZero() {
		return errors.New("a web session needs its ID, User, Created, Seen and Expires set")
	}
	return nil
}

// WebSessionArgs returns s's values for WebSessionColumns.
func WebSessionArgs(s *store.WebSession) []any {
	return []any{s.ID, s.User, s.Stage, nonNil(s.Data), Nanos(s.Created), Nanos(s.Seen), Nanos(s.Expires)}
}

// ScanWebSession reads a row of WebSessionColumns.
func ScanWebSession(row Scanner) (store.WebSession, error) {
	var (
		s                      store.WebSession
		created, seen, expires int64
	)
	err := row.Scan(&s.ID, &s.User, &s.Stage, &s.Data, &created, &seen, &expires)
	s.Created, s.Seen, s.Expires = FromNanos(created), FromNanos(seen), FromNanos(expires)
	return s, err
}

// TouchArgs returns the arguments of TouchWebSession and, without the id,
// of PurgeWebSessions.
func TouchArgs(now time.Time, idle time.Duration) (int64, int64) {
	return Nanos(now), Nanos(now.Add(-idle))
}

// PrepareWebInvite checks inv before an insert and sets a zero Created to
// now.
func PrepareWebInvite(inv *store.WebInvite) error {
	if len(inv.ID) == 0 || inv.User == "" || inv.Expires.IsZero() {
		return errors.New("an invitation needs its ID, User and Expires set")
	}
	inv.Created = OrNow(inv.Created)
	return nil
}

// WebInviteArgs returns inv's values for WebInviteColumns.
func WebInviteArgs(inv *store.WebInvite) []any {
	return []any{inv.ID, inv.User, inv.CreatedBy, Nanos(inv.Created), Nanos(inv.Expires)}
}

// ScanWebInvite reads a row of WebInviteColumns.
func ScanWebInvite(row Scanner) (store.WebInvite, error) {
	var (
		inv              store.WebInvite
		created, expires int64
	)
	err := row.Scan(&inv.ID, &inv.User, &inv.CreatedBy, &created, &expires)
	inv.Created, inv.Expires = FromNanos(created), FromNanos(expires)
	return inv, err
}
