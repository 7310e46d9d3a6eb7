package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AddGroupMember puts user in group; ErrExists if it is already.
func (s *Store) AddGroupMember(ctx context.Context, group, user string) error {
	_, err := s.pool.Exec(ctx, sqlstore.InsertGroupMember, group, user, sqlstore.Nanos(sqlstore.Now()))
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("add %q to group %q", user, group), err)
	}
	return nil
}

// RemoveGroupMember takes user out of group; ErrNotFound if it was not in.
func (s *Store) RemoveGroupMember(ctx context.Context, group, user string) error {
	if err := mustChange(s.pool.Exec(ctx, sqlstore.DeleteGroupMember, group, user)); err != nil {
		return s.fail(fmt.Sprintf("remove %q from group %q", user, group), err)
	}
	return nil
}

// UserGroups returns the groups user is in, ordered by name.
func (s *Store) UserGroups(ctx context.Context, user string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectUserGroups, user)
	gs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(fmt.Sprintf("groups of %q", user), err)
	}
	return gs, nil
}

// GroupMembers returns the members of group, ordered by name.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectGroupMembers, group)
	us, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(fmt.Sprintf("members of group %q", group), err)
	}
	return us, nil
}

// ListGroups returns every group with its number of members.
func (s *Store) ListGroups(ctx context.Context) ([]store.GroupInfo, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectGroups)
	gs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.GroupInfo, error) {
		var g store.GroupInfo
		err := row.Scan(&g.Name, &g.Members)
		return g, err
	})
	if err != nil {
		return nil, s.fail("groups", err)
	}
	return gs, nil
}

// lockUser takes the user's row lock for a transaction: two
// SetRecoveryCodes of one user run one after the other rather than leaving
// both sets, and two AddFirstToken (web.go) cannot both count no token and
// both insert one, as Read Committed would let them.
const lockUser = `SELECT name FROM users WHERE name = $1 FOR UPDATE`

// SetRecoveryCodes replaces user's recovery codes in one transaction.
func (s *Store) SetRecoveryCodes(ctx context.Context, user string, codes []store.RecoveryCode) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, lockUser, user).Scan(&name); errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlstore.DeleteRecoveryCodes, user); err != nil {
			return err
		}
		for _, c := range codes {
			c.User, c.Created = user, sqlstore.OrNow(c.Created)
			if _, err := tx.Exec(ctx, sqlstore.InsertRecoveryCode, sqlstore.RecoveryArgs(c)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail(fmt.Sprintf("set recovery codes of %q", user), err)
	}
	return nil
}

// RecoveryCodes returns user's unused recovery codes.
func (s *Store) RecoveryCodes(ctx context.Context, user string) ([]store.RecoveryCode, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectRecoveryCodes, user)
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.RecoveryCode, error) { return sqlstore.ScanRecoveryCode(row) })
	if err != nil {
		return nil, s.fail(fmt.Sprintf("recovery codes of %q", user), err)
	}
	return cs, nil
}

// UseRecoveryCode spends the code if it is unused.
func (s *Store) UseRecoveryCode(ctx context.Context, id string, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.UseRecoveryCode, id, sqlstore.Nanos(now))
	if err != nil {
		return false, s.fail(fmt.Sprintf("use recovery code %q", id), err)
	}
	return tag.RowsAffected() == 1, nil
}
