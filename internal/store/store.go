// Package store defines what otpgate keeps: users, their tokens, pending
// challenges and the audit trail, and the [Store] interface that the embedded
// SQLite store (package store/sqlite) and the PostgreSQL store implement.
//
// # Replay safety
//
// A store never decides whether a code is valid; the engine does. The store
// makes the engine's decision stick across processes and nodes: a success is
// recorded by [Store.CommitSuccess], one conditional update that raises a
// token's Next counter only if it is still below the new value. Zero rows
// changed means another request got there first, and the caller must treat the
// code as replayed. Nothing about replay is ever kept only in memory.
//
// # Secrets
//
// Token secrets arrive already sealed (package secretbox, with the token ID as
// associated data). Token IDs are random and chosen by the caller before the
// token is stored, so that the sealed value can be bound to its row. A store
// holds no key and never sees a plaintext secret.
package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"otpgate.dev/otpgate/internal/otp"
)

// Sentinel errors. Implementations wrap them with context; test with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
)

// TokenType names the kinds of token the engine verifies.
type TokenType string

const (
	TOTP         TokenType = "totp"          // RFC 6238
	HOTP         TokenType = "hotp"          // RFC 4226
	HOTPPrefixed TokenType = "hotp-prefixed" // RFC 4226, the code preceded by the token's Identifier
	Yubico       TokenType = "yubico"        // Yubico OTP: modhex public id and an AES-128 block
)

// Forever is the LockedUntil of a token that stays locked until an admin
// unlocks it.
var Forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// User is a login name that tokens belong to.
type User struct {
	Name    string
	Created time.Time
}

// Token is one second factor of a user, with its verification state.
//
// Next is the lowest counter the token may still accept: an HOTP counter, a
// TOTP time step, or for Yubico OTP the usage counter shifted left by 8 plus
// the session counter. A new token starts at its initial counter (0 unless
// enrolled with another). A success at counter c sets Next to c+1, so c and
// everything below it are refused from then on.
type Token struct {
	ID      string // random, immutable; the associated data of Secret and PrivateID
	User    string
	Type    TokenType
	Enabled bool
	Comment string

	Secret []byte     // sealed OATH seed or Yubico AES key
	Params otp.Params // OATH parameters; unused for Yubico

	// Identifier is the prefix of a prefixed HOTP token (e.g. its 8-digit
	// token ID, or a YubiKey's 12-character OATH token identifier) or the
	// modhex public ID of a Yubico OTP token. Non-empty identifiers are
	// unique, so a token can be found without a username.
	Identifier string
	PrivateID  []byte // sealed Yubico private ID (6 bytes)

	Next  int64 // see the type doc
	Drift int64 // TOTP steps to add to the clock's step, measured by resync

	Failures     int       // consecutive failed verifications
	LockedUntil  time.Time // zero when not locked; Forever until an admin unlocks
	LastCheck    time.Time // last verification attempt
	LastSuccess  time.Time
	ConfiguredAt time.Time // last change of configuration (enroll, resync, enable, ...)
	Created      time.Time
}

// Locked reports whether t refuses every code at now.
func (t *Token) Locked(now time.Time) bool {
	return !t.LockedUntil.IsZero() && now.Before(t.LockedUntil)
}

// Challenge is a pending second step of a login (an OpenVPN crtext or CRV1
// challenge, a RADIUS Access-Challenge). It is consumed exactly once.
type Challenge struct {
	ID      string // random, unguessable: it is the key a client answers with
	User    string
	Kind    string // the front end that made it, e.g. "openvpn-crtext", "radius"
	Data    []byte // opaque to the store
	Expires time.Time
	Created time.Time
}

// AuditEvent records an admin action or a verification outcome. It never
// carries a code or a secret.
type AuditEvent struct {
	Time    time.Time
	Actor   string // "admin", "radius", "openvpn", ...
	Action  string // "verify", "enroll", "delete", "unlock", ...
	User    string
	TokenID string
	Result  string // "ok", "fail", "replay", "locked", ...
	Reason  string
	Source  string // client address, NAS, tty
}

// PruneBatch is how many audit events one transaction of PruneAudit deletes.
const PruneBatch = 5000

// PruneEvent is the audit event that records a PruneAudit by actor at now,
// which deleted n events logged before before.
func PruneEvent(actor string, n int, before, now time.Time) AuditEvent {
	return AuditEvent{Time: now, Actor: actor, Action: "prune-audit", Result: "ok",
		Reason: strconv.Itoa(n) + " events logged before " + before.UTC().Format(time.RFC3339Nano)}
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	User  string
	Since time.Time
	// Before, when set, selects the events logged before it: the next
	// page of a trail read newest first.
	Before time.Time
	Limit  int
}

// Failure is the outcome of RecordFailure.
type Failure struct {
	Failures    int
	LockedUntil time.Time
}

// Store is implemented by the SQLite and PostgreSQL stores. Every method is
// safe for concurrent use by many goroutines, processes and (PostgreSQL)
// nodes. Methods that change a row change it atomically.
type Store interface {
	APIKeys
	Groups
	RecoveryCodes

	CreateUser(ctx context.Context, name string) (User, error) // ErrExists
	User(ctx context.Context, name string) (User, error)       // ErrNotFound
	Users(ctx context.Context) ([]User, error)                 // ordered by Name
	// DeleteUser removes the user with its tokens and pending challenges.
	DeleteUser(ctx context.Context, name string) error // ErrNotFound

	// AddToken stores t; t.ID and t.User must be set and the user must
	// exist (ErrNotFound). A duplicate ID or Identifier is ErrExists. A
	// zero t.Created is set to now and a zero t.ConfiguredAt to t.Created,
	// in t as in the row.
	AddToken(ctx context.Context, t *Token) error
	// Import creates the named users and adds the tokens, in one
	// transaction: either all of it is stored or none of it is. A user in
	// users that exists already is ErrExists; a token's user must be in
	// users or exist already. Tokens are completed as AddToken completes
	// them. Errors say which user or token failed.
	Import(ctx context.Context, users []string, tokens []*Token) error
	Token(ctx context.Context, id string) (Token, error)                // ErrNotFound
	TokenByIdentifier(ctx context.Context, ident string) (Token, error) // ErrNotFound
	Tokens(ctx context.Context, user string) ([]Token, error)           // ordered by Created
	// ForEachToken calls fn for every token, in no set order, without
	// loading them all into memory; fn's error stops the walk.
	ForEachToken(ctx context.Context, fn func(Token) error) error
	// UpdateToken writes t's configuration (Enabled, Comment, Params, Next,
	// Drift, Secret, PrivateID, Identifier) and sets ConfiguredAt to now,
	// in t as in the row. It never lowers the stored Next: t may have been
	// read before a CommitSuccess, whose counters must stay used. t.Next is
	// set to the stored value. A token that must count from a lower counter
	// again is deleted and enrolled anew. A duplicate Identifier is
	// ErrExists.
	UpdateToken(ctx context.Context, t *Token) error  // ErrNotFound
	DeleteToken(ctx context.Context, id string) error // ErrNotFound
	// ReplaceTokens deletes the tokens old, which must all belong to
	// t.User (else ErrNotFound), and adds t as AddToken does, in one
	// transaction: the user never has both, nor neither.
	ReplaceTokens(ctx context.Context, old []string, t *Token) error

	// CommitSuccess records that the token accepted counter next-1: it sets
	// Next = next, Drift = drift, Failures = 0 and LastCheck = LastSuccess =
	// now, but only if the stored Next is still below next. It reports
	// false, with no change, when it was not: the code was already used.
	// An unknown id is ErrNotFound.
	CommitSuccess(ctx context.Context, id string, next, drift int64, now time.Time) (bool, error)
	// RecordFailure counts one failed attempt at now and sets LastCheck.
	// When the count passes maxFailures (0 locks at the first failure) it
	// sets LockedUntil to lockUntil. The returned Failure is the row's state
	// after the update. An unknown id is ErrNotFound.
	RecordFailure(ctx context.Context, id string, now time.Time, maxFailures int, lockUntil time.Time) (Failure, error)
	// Unlock clears Failures and LockedUntil.
	Unlock(ctx context.Context, id string) error // ErrNotFound

	// PutChallenge stores c, whose ID and Expires must be set; a zero
	// Created is set to now. The user need not exist.
	PutChallenge(ctx context.Context, c Challenge) error // ErrExists
	// TakeChallenge removes and returns the challenge. An expired one
	// (now >= Expires) is removed too and reported as ErrNotFound: a
	// challenge is answered at most once, and never late.
	TakeChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)
	// PurgeChallenges removes every challenge expired at now
	// (Expires <= now) and reports how many.
	PurgeChallenges(ctx context.Context, now time.Time) (int, error)

	// AppendAudit records e; a zero e.Time is set to now.
	AppendAudit(ctx context.Context, e AuditEvent) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) // newest first
	// PruneAudit deletes the events logged before before and reports how
	// many. It deletes in batches of at most PruneBatch, each its own
	// transaction, so that a large trail does not hold up logins; an error
	// or a cancelled ctx stops it with the batches done so far kept.
	PruneAudit(ctx context.Context, before time.Time) (int, error)

	// Reseal calls fn for every token inside one transaction and writes
	// back the Secret and PrivateID fn leaves in it: master-key rotation is
	// all or nothing. An error from fn rolls back every token and is
	// returned wrapped. fn must not call the store: the transaction may hold
	// the only write connection.
	Reseal(ctx context.Context, fn func(t *Token) error) error

	LoginFailures

	Close() error
}
