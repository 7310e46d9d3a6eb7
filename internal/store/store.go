// Package store defines what otpgate keeps: users, their tokens, pending
// challenges and the audit trail, and the [Store] interface that the embedded
// SQLite store (package store/sqlite) and the PostgreSQL store implement.
//
// # Replay safety
//
// A store never decides whether a code is valid; the engine does. The store
// makes the engine's decision stick across processes and nodes: a success is
// recorded by [Store.CommitSuccess], one conditional update that raises a
// token's Next counter only if it is still below the new value and the token
// is enabled and not locked. Zero rows changed means another request got
// there first, or a failure locked the token meanwhile, and the caller must
// refuse the code. Nothing about replay or lockout is ever kept only in
// memory.
//
// # Audit
//
// A verification's outcome and its audit event are one argument of
// [Store.CommitSuccess] and [Store.RecordFailure], written in one
// transaction: an outcome is never stored without its event, nor an event
// without its outcome. Other events go through [Store.AppendAudit]. The
// values of [AuditEvent]'s Actor, Action and Result are the constants below.
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
	// Issuer is the name the user's authenticator app shows the token
	// under (the otpauth URI's issuer, PSKC's Issuer); "" for none. It is
	// set when the token is added and never changes.
	Issuer string

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

// Actor names who acted, in an AuditEvent: a front end for a login, the
// admin commands, or the daemon itself.
type Actor string

const (
	ActorAdmin    Actor = "admin"    // an admin command: enroll, delete, unlock, verify, ...
	ActorServe    Actor = "serve"    // the daemon's own housekeeping (audit_retention)
	ActorRADIUS   Actor = "radius"   // a login through the RADIUS server
	ActorOpenVPN  Actor = "openvpn"  // a login through an OpenVPN hook or the management interface
	ActorAuditlog Actor = "auditlog" // the JSON-lines copy of the trail, about itself
)

// Action names what was done, in an AuditEvent.
type Action string

const (
	ActionVerify         Action = "verify"          // a code checked (a login's second factor, or otpgate verify)
	ActionLogin          Action = "login"           // a login refused before its code was checked (the password)
	ActionName           Action = "name"            // a login name the directory mapped onto another (package auth)
	ActionForward        Action = "forward"         // a login a policy rule forwarded to a legacy RADIUS server
	ActionGroupAdd       Action = "group-add"       // users added to a local group
	ActionGroupRemove    Action = "group-remove"    // users removed from a local group
	ActionRecoveryCodes  Action = "recovery-codes"  // a user's recovery codes replaced
	ActionImportRecovery Action = "import-recovery" // recovery codes imported with a user's token
	ActionEnroll         Action = "enroll"
	ActionImport         Action = "import"
	ActionExport         Action = "export"
	ActionDelete         Action = "delete" // a user and all their tokens
	ActionDeleteToken    Action = "delete-token"
	ActionEnable         Action = "enable"
	ActionDisable        Action = "disable"
	ActionUnlock         Action = "unlock"
	ActionResync         Action = "resync"
	ActionTest           Action = "test" // an admin was shown a token's current code
	ActionPruneAudit     Action = "prune-audit"
	ActionOOBSend        Action = "oob-send"   // an email or SMS code sent, or refused before it was (package oob)
	ActionOOBTest        Action = "oob-test"   // a test message with no code (otpgate test)
	ActionOOBInvite      Action = "oob-invite" // an enrollment link mailed (otpgate invite --send); never the link
)

// Result is an AuditEvent's outcome.
type Result string

const (
	ResultOK     Result = "ok"
	ResultFail   Result = "fail"   // a wrong code, or an admin operation that found nothing to do
	ResultReplay Result = "replay" // a code whose counter was used already
	ResultLocked Result = "locked" // a code for a locked token, refused whatever it was

	// An out-of-band send's outcome, besides ResultOK.
	ResultSendFailed    Result = "failed"     // the gateway refused or could not be reached
	ResultSendLimited   Result = "limited"    // the user's or the source's send limit
	ResultSendTooSoon   Result = "too-soon"   // within the resend interval of the last code
	ResultSendNoGateway Result = "no-gateway" // no gateway is configured for the address
)

// AuditEvent records an admin action or a verification outcome. It never
// carries a code or a secret.
type AuditEvent struct {
	// Seq is the event's place in the trail, set by the store: a later
	// event has a higher Seq. It is 0 in an event to be appended.
	Seq     int64
	Time    time.Time
	Actor   Actor
	Action  Action
	User    string
	TokenID string
	Result  Result
	Reason  string
	Source  string // client address, NAS, tty
}

// PruneBatch is how many audit events one transaction of PruneAudit deletes.
const PruneBatch = 5000

// PruneEvent is the audit event that records a PruneAudit by actor at now,
// which deleted n events logged before before.
func PruneEvent(actor Actor, n int, before, now time.Time) AuditEvent {
	return AuditEvent{Time: now, Actor: actor, Action: ActionPruneAudit, Result: ResultOK,
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

// Success is a verification's success, for CommitSuccess: the token
// TokenID accepted counter Next-1 at Now.
type Success struct {
	TokenID string
	Next    int64 // the token's Next after the success
	Drift   int64 // the token's Drift after the success
	Now     time.Time
	// Event is appended to the trail in the same transaction, and only if
	// the success commits.
	Event AuditEvent
}

// Commit is what CommitSuccess did with a Success.
type Commit int

const (
	// Committed: the success and its event are stored.
	Committed Commit = iota + 1
	// Replayed: the token's Next was at or past the success's already; the
	// code was used, by this request's rival or before.
	Replayed
	// Locked: the token was locked at the success's Now, though it may not
	// have been when the code was checked.
	Locked
	// Disabled: the token was disabled meanwhile.
	Disabled
)

func (c Commit) String() string {
	switch c {
	case Committed:
		return "committed"
	case Replayed:
		return "replayed"
	case Locked:
		return "locked"
	case Disabled:
		return "disabled"
	}
	return "Commit(" + strconv.Itoa(int(c)) + ")"
}

// Attempt is a failed verification, for RecordFailure.
type Attempt struct {
	TokenID string
	Now     time.Time
	// MaxFailures is the consecutive failure that locks the token: with 5,
	// the 5th failure in a row sets LockedUntil. 0 locks at the first, as 1
	// does.
	MaxFailures int
	LockUntil   time.Time
	// Event makes the attempt's audit event from the token's failure count
	// and lock as this attempt left them. The store appends it in the same
	// transaction. It runs while the store writes, so it must be quick and
	// must not call the store; it may run more than once.
	Event func(Failure) AuditEvent
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
	WebSessions
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

	// CommitSuccess records s and its event in one transaction, and only if
	// at that moment the token is enabled, not locked at s.Now, and its
	// stored Next is below s.Next: then it sets Next = s.Next, Drift =
	// s.Drift, Failures = 0 and LastCheck = LastSuccess = s.Now and reports
	// Committed. Otherwise nothing is written and it reports why: Replayed,
	// Locked or Disabled. The lock is part of the one conditional write, so
	// that a success can never commit after the failure that locked its
	// token, however many attempts were checked at once. An unknown token
	// is ErrNotFound.
	CommitSuccess(ctx context.Context, s Success) (Commit, error)
	// RecordFailure counts one failed attempt at a.Now, sets LastCheck, and
	// when the count reaches a.MaxFailures sets LockedUntil to a.LockUntil;
	// in the same transaction it appends a.Event of the Failure, the row's
	// state after the update, which it returns. An unknown token is
	// ErrNotFound.
	RecordFailure(ctx context.Context, a Attempt) (Failure, error)
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

	// AppendAudit records e, an event that is no verification's outcome
	// (those go with CommitSuccess and RecordFailure); a zero e.Time is
	// set to now.
	AppendAudit(ctx context.Context, e AuditEvent) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) // newest first
	// AuditAfter returns up to limit events whose Seq is above seq, lowest
	// Seq first, and the highest Seq in the trail (0 when it is empty). On
	// SQLite, Seq order is commit order; on PostgreSQL an event may become
	// visible after one with a higher Seq (see package auditlog).
	AuditAfter(ctx context.Context, seq int64, limit int) ([]AuditEvent, int64, error)
	// PruneAudit deletes the events logged before before and reports how
	// many. Seq keeps growing after it: no number is given twice. It deletes in batches of at most PruneBatch, each its own
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
