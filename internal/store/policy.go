package store

import (
	"context"
	"time"
)

// GroupInfo is a local group and how many members it has.
type GroupInfo struct {
	Name    string
	Members int
}

// Groups are otpgate's local groups, which the login policy's group
// conditions read (package policy). A membership is a pair of names: the
// user need not exist, since a service account that logs in with its
// password alone has no tokens and no user row. Deleting a user keeps its
// memberships.
type Groups interface {
	AddGroupMember(ctx context.Context, group, user string) error     // ErrExists
	RemoveGroupMember(ctx context.Context, group, user string) error  // ErrNotFound
	UserGroups(ctx context.Context, user string) ([]string, error)    // ordered by name
	GroupMembers(ctx context.Context, group string) ([]string, error) // ordered by name; none is not an error
	ListGroups(ctx context.Context) ([]GroupInfo, error)              // ordered by name
}

// RecoveryCode is a stored recovery code (package recovery).
type RecoveryCode struct {
	ID      string // random, the row's key
	User    string
	Hash    string // Argon2id PHC string
	Digits  int    // the code's length
	Created time.Time
	Used    time.Time // zero while unused
}

// RecoveryCodes keep a user's recovery codes.
type RecoveryCodes interface {
	// SetRecoveryCodes replaces every recovery code of user with codes, in
	// one transaction. The user must exist (ErrNotFound); codes may be
	// empty, which removes them all.
	SetRecoveryCodes(ctx context.Context, user string, codes []RecoveryCode) error
	// RecoveryCodes returns user's unused codes, ordered by Created.
	RecoveryCodes(ctx context.Context, user string) ([]RecoveryCode, error)
	// UseRecoveryCode sets Used = now on the code if it is unused, by one
	// conditional update, and reports whether it did: two logins with one
	// code cannot both succeed. An unknown id reports false.
	UseRecoveryCode(ctx context.Context, id string, now time.Time) (bool, error)
}
