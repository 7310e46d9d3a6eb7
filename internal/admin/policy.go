package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"otpgate.dev/otpgate/internal/recovery"
	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/username"
)

// maxGroupName bounds a local group's name, as RADIUS bounds an attribute.
const maxGroupName = 253

func checkGroupName(g string) error {
	if g == "" || len(g) > maxGroupName || strings.IndexFunc(g, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("admin: group name %q is empty, longer than %d bytes, or has a space or a control character", g, maxGroupName)
	}
	return nil
}

// AddToGroup puts each user in the local group, audited. A user need not
// have a token (a service account logs in with its password alone); a
// user already in the group is an error, after the others were added.
func (a *Admin) AddToGroup(ctx context.Context, group string, users ...string) error {
	if err := checkGroupName(group); err != nil {
		return err
	}
	for _, u := range users {
		u, err := username.Canonical(u)
		if err != nil {
			return err
		}
		err = a.st.AddGroupMember(ctx, group, u)
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("admin: user %q is already in group %q", u, group)
		}
		if err != nil {
			return fmt.Errorf("admin: %w", err)
		}
		if err := a.auditReason(ctx, store.ActionGroupAdd, u, "group "+group); err != nil {
			return err
		}
	}
	return nil
}

// RemoveFromGroup takes each user out of the local group, audited.
func (a *Admin) RemoveFromGroup(ctx context.Context, group string, users ...string) error {
	for _, u := range users {
		u, err := username.Canonical(u)
		if err != nil {
			return err
		}
		err = a.st.RemoveGroupMember(ctx, group, u)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("admin: user %q is not in group %q", u, group)
		}
		if err != nil {
			return fmt.Errorf("admin: %w", err)
		}
		if err := a.auditReason(ctx, store.ActionGroupRemove, u, "group "+group); err != nil {
			return err
		}
	}
	return nil
}

// ListGroups returns the local groups and their sizes.
func (a *Admin) ListGroups(ctx context.Context) ([]store.GroupInfo, error) {
	gs, err := a.st.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return gs, nil
}

// GroupMembers returns the members of a local group.
func (a *Admin) GroupMembers(ctx context.Context, group string) ([]string, error) {
	us, err := a.st.GroupMembers(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return us, nil
}

// Store is the store the admin acts on, for what reads it directly (the
// login policy's groups in `otpgate policy explain`).
func (a *Admin) Store() store.Store { return a.st }

// NewRecoveryCodes makes n recovery codes for user, who must exist,
// replacing the old ones, and returns them: the only time they are seen.
// Only their hashes are stored.
func (a *Admin) NewRecoveryCodes(ctx context.Context, user string, n int) ([]string, error) {
	user, err := username.Canonical(user)
	if err != nil {
		return nil, err
	}
	if _, err := a.user(ctx, user); err != nil {
		return nil, err
	}
	codes, stored, err := recovery.Generate(user, n, recovery.DefaultDigits, a.now())
	if err != nil {
		return nil, err
	}
	if err := a.st.SetRecoveryCodes(ctx, user, stored); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if err := a.auditReason(ctx, store.ActionRecoveryCodes, user, fmt.Sprintf("%d new codes; the old ones no longer work", n)); err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCount is how many unused recovery codes user has.
func (a *Admin) RecoveryCount(ctx context.Context, user string) (int, error) {
	user, err := username.Canonical(user)
	if err != nil {
		return 0, err
	}
	cs, err := a.st.RecoveryCodes(ctx, user)
	if err != nil {
		return 0, fmt.Errorf("admin: %w", err)
	}
	return len(cs), nil
}

// auditReason records an admin change with a reason.
func (a *Admin) auditReason(ctx context.Context, action store.Action, user, reason string) error {
	err := a.st.AppendAudit(ctx, store.AuditEvent{Time: a.now(), Actor: a.actor, Action: action, User: user, Result: store.ResultOK, Reason: reason, Source: a.source})
	if err != nil {
		return fmt.Errorf("admin: audit %s of user %q: %w", action, user, err)
	}
	return nil
}
