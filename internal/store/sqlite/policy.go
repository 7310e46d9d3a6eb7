package sqlite

import (
	"context"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// AddGroupMember puts user in group; ErrExists if it is already.
func (s *Store) AddGroupMember(ctx context.Context, group, user string) error {
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertGroupMember, group, user, sqlstore.Nanos(sqlstore.Now()))
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: add %q to group %q: %w", user, group, err)
	}
	return nil
}

// RemoveGroupMember takes user out of group; ErrNotFound if it was not in.
func (s *Store) RemoveGroupMember(ctx context.Context, group, user string) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.DeleteGroupMember, group, user))
	})
	if err != nil {
		return fmt.Errorf("sqlite: remove %q from group %q: %w", user, group, err)
	}
	return nil
}

// UserGroups returns the groups user is in, ordered by name.
func (s *Store) UserGroups(ctx context.Context, user string) ([]string, error) {
	gs, err := s.names(ctx, sqlstore.SelectUserGroups, user)
	if err != nil {
		return nil, fmt.Errorf("sqlite: groups of %q: %w", user, err)
	}
	return gs, nil
}

// GroupMembers returns the members of group, ordered by name.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]string, error) {
	us, err := s.names(ctx, sqlstore.SelectGroupMembers, group)
	if err != nil {
		return nil, fmt.Errorf("sqlite: members of group %q: %w", group, err)
	}
	return us, nil
}

// names runs a query of one name column on a hot reader: a login's policy
// reads the user's groups.
func (s *Store) names(ctx context.Context, query, arg string) ([]string, error) {
	var out []string
	err := s.hot.do(ctx, func(ctx context.Context, r *reader) error {
		rows, err := r.query(ctx, query, arg)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// ListGroups returns every group with its number of members.
func (s *Store) ListGroups(ctx context.Context) ([]store.GroupInfo, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlstore.SelectGroups)
	if err != nil {
		return nil, fmt.Errorf("sqlite: groups: %w", err)
	}
	defer rows.Close()
	var gs []store.GroupInfo
	for rows.Next() {
		var g store.GroupInfo
		if err := rows.Scan(&g.Name, &g.Members); err != nil {
			return nil, fmt.Errorf("sqlite: groups: %w", err)
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: groups: %w", err)
	}
	return gs, nil
}

// SetRecoveryCodes replaces user's recovery codes in one transaction.
func (s *Store) SetRecoveryCodes(ctx context.Context, user string, codes []store.RecoveryCode) error {
	err := s.writeAtomic(ctx, func(w *writer) error {
		var n int
		if err := w.queryRow(sqlstore.CountUser, user).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return answer(store.ErrNotFound)
		}
		if _, err := w.exec(sqlstore.DeleteRecoveryCodes, user); err != nil {
			return err
		}
		for _, c := range codes {
			c.User, c.Created = user, sqlstore.OrNow(c.Created)
			if _, err := w.exec(sqlstore.InsertRecoveryCode, sqlstore.RecoveryArgs(c)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: set recovery codes of %q: %w", user, err)
	}
	return nil
}

// RecoveryCodes returns user's unused recovery codes.
// It is a read of a login, on a hot reader.
func (s *Store) RecoveryCodes(ctx context.Context, user string) ([]store.RecoveryCode, error) {
	var cs []store.RecoveryCode
	err := s.hot.do(ctx, func(ctx context.Context, r *reader) error {
		rows, err := r.query(ctx, sqlstore.SelectRecoveryCodes, user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := sqlstore.ScanRecoveryCode(rows)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: recovery codes of %q: %w", user, err)
	}
	return cs, nil
}

// UseRecoveryCode spends the code if it is unused.
func (s *Store) UseRecoveryCode(ctx context.Context, id string, now time.Time) (bool, error) {
	var ok bool
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(sqlstore.UseRecoveryCode, id, sqlstore.Nanos(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: use recovery code %q: %w", id, err)
	}
	return ok, nil
}
