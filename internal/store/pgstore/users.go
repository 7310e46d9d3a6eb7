package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// CreateUser adds a user; ErrExists if the name is taken.
func (s *Store) CreateUser(ctx context.Context, name string) (store.User, error) {
	u := store.User{Name: name, Created: sqlstore.Now()}
	_, err := s.pool.Exec(ctx, sqlstore.InsertUser, name, sqlstore.Nanos(u.Created))
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return store.User{}, s.fail(fmt.Sprintf("create user %q", name), err)
	}
	return u, nil
}

// User returns the user called name, or ErrNotFound.
func (s *Store) User(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, sqlstore.SelectUser, name))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.User{}, s.fail(fmt.Sprintf("user %q", name), err)
	}
	return u, nil
}

// Users returns every user, ordered by name (byte order).
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	rows, _ := s.pool.Query(ctx, sqlstore.SelectUsers)
	us, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) { return scanUser(row) })
	if err != nil {
		return nil, s.fail("users", err)
	}
	return us, nil
}

func scanUser(row sqlstore.Scanner) (store.User, error) {
	var (
		u       store.User
		created int64
	)
	err := row.Scan(&u.Name, &created)
	u.Created = sqlstore.FromNanos(created)
	return u, err
}

// DeleteUser removes the user, its tokens and its pending challenges, in
// one transaction.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := mustChange(tx.Exec(ctx, sqlstore.DeleteUser, name)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlstore.DeleteUserChallenges, name)
		return err
	})
	if err != nil {
		return s.fail(fmt.Sprintf("delete user %q", name), err)
	}
	return nil
}
