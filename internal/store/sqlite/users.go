package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// CreateUser adds a user; ErrExists if the name is taken.
func (s *Store) CreateUser(ctx context.Context, name string) (store.User, error) {
	u := store.User{Name: name, Created: sqlstore.Now()}
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertUser, name, sqlstore.Nanos(u.Created))
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user %q: %w", name, err)
	}
	return u, nil
}

// User returns the user called name, or ErrNotFound.
func (s *Store) User(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(s.reads.queryRow(ctx, sqlstore.SelectUser, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: user %q: %w", name, err)
	}
	return u, nil
}

// Users returns every user, ordered by name.
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	rows, err := s.reads.query(ctx, sqlstore.SelectUsers)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var us []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
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

// DeleteUser removes the user, its tokens and its pending challenges.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.writeAtomic(ctx, func(w *writer) error {
		if err := mustChange(w.exec(sqlstore.DeleteUser, name)); err != nil {
			return err
		}
		_, err := w.exec(sqlstore.DeleteUserChallenges, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete user %q: %w", name, err)
	}
	return nil
}
