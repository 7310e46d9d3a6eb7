package store

import (
	"context"
	"time"
)

// WebSession is a signed-in browser of the self-service portal and admin
// console (package web/portal). Several nodes share it through the store.
// It never holds the session's cookie value: only that value's SHA-256
// hash, so that a copy of the store lets nobody sign in.
type WebSession struct {
	ID    []byte // SHA-256 of the cookie's random value
	User  string
	Stage string // what the browser has proven so far; the portal's words
	// Data is the portal's own state (a pending enrollment, a challenge),
	// sealed by the portal; opaque to the store.
	Data    []byte
	Created time.Time
	Seen    time.Time // the last request, for the idle timeout
	Expires time.Time // the absolute end, whatever the activity
}

// WebInvite is a one-time enrollment link an admin made (otpgate invite).
// The store keeps the SHA-256 hash of the link's secret, never the secret.
type WebInvite struct {
	ID        []byte // SHA-256 of the link's secret
	User      string
	CreatedBy string // the admin, for the audit trail
	Created   time.Time
	Expires   time.Time
}

// WebSessions keeps the portal's sessions and invitations, and adds a
// self-enrolled user's first token.
type WebSessions interface {
	// PutWebSession stores s, whose ID, User, Created, Seen and Expires
	// must be set. A taken ID is ErrExists.
	PutWebSession(ctx context.Context, s *WebSession) error
	// TouchWebSession returns the session id and records a request at
	// now, in one statement, if it is still alive: now is before Expires
	// and less than idle after Seen. A session that is not is ErrNotFound
	// (PurgeWeb deletes it later).
	TouchWebSession(ctx context.Context, id []byte, now time.Time, idle time.Duration) (WebSession, error)
	// UpdateWebSession writes s's User, Stage and Data; ErrNotFound when
	// the session is gone.
	UpdateWebSession(ctx context.Context, s *WebSession) error
	DeleteWebSession(ctx context.Context, id []byte) error // ErrNotFound
	// DeleteUserWebSessions ends every session of user and reports how
	// many there were.
	DeleteUserWebSessions(ctx context.Context, user string) (int, error)

	// PutWebInvite stores inv, whose ID, User and Expires must be set; a
	// zero Created is set to now. A taken ID is ErrExists.
	PutWebInvite(ctx context.Context, inv *WebInvite) error
	// TakeWebInvite removes and returns the invitation. An expired one
	// (now >= Expires) is removed too and reported as ErrNotFound: a link
	// works at most once, and never late.
	TakeWebInvite(ctx context.Context, id []byte, now time.Time) (WebInvite, error)

	// PurgeWeb deletes the sessions TouchWebSession would refuse at now
	// with idle, and the expired invitations, and reports how many rows
	// went.
	PurgeWeb(ctx context.Context, now time.Time, idle time.Duration) (int, error)

	// AddFirstToken is AddToken for a user who has no token yet, checked
	// in the same transaction as the insert: a user who holds any token
	// (enabled or not) is ErrExists and nothing is written. It is how a
	// user who proved only a password binds a token, so two such browsers
	// at once bind one token at most.
	AddFirstToken(ctx context.Context, t *Token) error
}
