// Package storetest is the conformance suite of [store.Store]: every
// implementation (store/sqlite, and the PostgreSQL store) runs [Run] and so
// keeps the same contract. The suite uses only the interface.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"otpgate.dev/otpgate/internal/otp"
	"otpgate.dev/otpgate/internal/store"
)

// Opener returns a new, empty store for one test. It closes the store in
// t.Cleanup.
type Opener func(t *testing.T) store.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Users", testUsers},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"TokenRoundTrip", testTokenRoundTrip},
		{"AddTokenErrors", testAddTokenErrors},
		{"TokenByIdentifier", testTokenByIdentifier},
		{"TokensOrder", testTokensOrder},
		{"ForEachToken", testForEachToken},
		{"UpdateToken", testUpdateToken},
		{"UpdateTokenKeepsNext", testUpdateTokenKeepsNext},
		{"DeleteToken", testDeleteToken},
		{"ReplaceTokens", testReplaceTokens},
		{"CommitSuccess", testCommitSuccess},
		{"CommitSuccessRace", testCommitSuccessRace},
		{"CommitSuccessMonotonic", testCommitSuccessMonotonic},
		{"CommitSuccessLockedOrDisabled", testCommitSuccessLockedOrDisabled},
		{"LockoutRace", testLockoutRace},
		{"RecordFailure", testRecordFailure},
		{"RecordFailureRace", testRecordFailureRace},
		{"Unlock", testUnlock},
		{"Challenges", testChallenges},
		{"ChallengeExpiry", testChallengeExpiry},
		{"ChallengeRace", testChallengeRace},
		{"PurgeChallenges", testPurgeChallenges},
		{"Audit", testAudit},
		{"AuditAfter", testAuditAfter},
		{"PruneAudit", testPruneAudit},
		{"Reseal", testReseal},
		{"ResealAllOrNothing", testResealAllOrNothing},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresLockAtFirst", testLoginFailuresLockAtFirst},
		{"LoginFailuresAudit", testLoginFailuresAudit},
		{"LoginFailuresClearPurge", testLoginFailuresClearPurge},
		{"LoginFailuresRace", testLoginFailuresRace},
		{"Import", testImport},
		{"ImportAllOrNothing", testImportAllOrNothing},
		{"APIKeys", testAPIKeys},
		{"APIKeyDefaults", testAPIKeyDefaults},
		{"RevokeAPIKey", testRevokeAPIKey},
		{"RevokeAPIKeyRace", testRevokeAPIKeyRace},
		{"SetAPIKeySecret", testSetAPIKeySecret},
		{"WebSessions", testWebSessions},
		{"WebSessionTimeouts", testWebSessionTimeouts},
		{"DeleteUserWebSessions", testDeleteUserWebSessions},
		{"WebInvites", testWebInvites},
		{"WebInviteRace", testWebInviteRace},
		{"PurgeWeb", testPurgeWeb},
		{"AddFirstToken", testAddFirstToken},
		{"AddFirstTokenRace", testAddFirstTokenRace},
		{"Groups", testGroups},
		{"RecoveryCodes", testRecoveryCodes},
		{"RecoveryCodeRace", testRecoveryCodeRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// t0 is the suite's clock: a fixed instant with nanoseconds, which every
// store must keep.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func mustUser(t *testing.T, s store.Store, name string) store.User {
	t.Helper()
	u, err := s.CreateUser(ctx(t), name)
	if err != nil {
		t.Fatalf("CreateUser(%q) = %v", name, err)
	}
	return u
}

// newToken returns a token of user with every field set to a value that is
// not its zero value, so that a column a store forgets shows.
func newToken(id, user string) *store.Token {
	return &store.Token{
		ID: id, User: user, Type: store.TOTP, Enabled: true, Comment: "phone of " + user, Issuer: "Example VPN",
		Secret:       []byte("sealed\x00secret\xff" + id),
		Params:       otp.Params{Algorithm: otp.SHA256, Digits: 8, Period: 60 * time.Second, T0: 7},
		Next:         1000,
		Drift:        -2,
		ConfiguredAt: t0.Add(-time.Hour),
		Created:      t0.Add(-2 * time.Hour),
	}
}

func mustToken(t *testing.T, s store.Store, tok *store.Token) {
	t.Helper()
	if err := s.AddToken(ctx(t), tok); err != nil {
		t.Fatalf("AddToken(%q) = %v", tok.ID, err)
	}
}

func getToken(t *testing.T, s store.Store, id string) store.Token {
	t.Helper()
	tok, err := s.Token(ctx(t), id)
	if err != nil {
		t.Fatalf("Token(%q) = %v", id, err)
	}
	return tok
}

// diffToken describes how got differs from want, field by field.
func diffToken(got, want store.Token) error {
	var errs []error
	field := func(name string, equal bool, g, w any) {
		if !equal {
			errs = append(errs, fmt.Errorf("%s = %v; want %v", name, g, w))
		}
	}
	field("ID", got.ID == want.ID, got.ID, want.ID)
	field("User", got.User == want.User, got.User, want.User)
	field("Type", got.Type == want.Type, got.Type, want.Type)
	field("Enabled", got.Enabled == want.Enabled, got.Enabled, want.Enabled)
	field("Comment", got.Comment == want.Comment, got.Comment, want.Comment)
	field("Issuer", got.Issuer == want.Issuer, got.Issuer, want.Issuer)
	field("Secret", bytes.Equal(got.Secret, want.Secret), got.Secret, want.Secret)
	field("Params", got.Params == want.Params, got.Params, want.Params)
	field("Identifier", got.Identifier == want.Identifier, got.Identifier, want.Identifier)
	field("PrivateID", bytes.Equal(got.PrivateID, want.PrivateID), got.PrivateID, want.PrivateID)
	field("Next", got.Next == want.Next, got.Next, want.Next)
	field("Drift", got.Drift == want.Drift, got.Drift, want.Drift)
	field("Failures", got.Failures == want.Failures, got.Failures, want.Failures)
	field("LockedUntil", got.LockedUntil.Equal(want.LockedUntil), got.LockedUntil, want.LockedUntil)
	field("LastCheck", got.LastCheck.Equal(want.LastCheck), got.LastCheck, want.LastCheck)
	field("LastSuccess", got.LastSuccess.Equal(want.LastSuccess), got.LastSuccess, want.LastSuccess)
	field("ConfiguredAt", got.ConfiguredAt.Equal(want.ConfiguredAt), got.ConfiguredAt, want.ConfiguredAt)
	field("Created", got.Created.Equal(want.Created), got.Created, want.Created)
	return errors.Join(errs...)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

func wantErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v; want %v", call, err, want)
	}
}
