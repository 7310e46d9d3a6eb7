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

// PutWebSession stores s; ErrExists if its ID is taken.
func (s *Store) PutWebSession(ctx context.Context, ws *store.WebSession) error {
	if err := sqlstore.PrepareWebSession(ws); err != nil {
		return fmt.Errorf("pgstore: put web session: %w", err)
	}
	_, err := s.pool.Exec(ctx, sqlstore.InsertWebSession, sqlstore.WebSessionArgs(ws)...)
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("put web session of %q", ws.User), err)
	}
	return nil
}

// TouchWebSession returns a live session and records a request at now.
func (s *Store) TouchWebSession(ctx context.Context, id []byte, now time.Time, idle time.Duration) (store.WebSession, error) {
	at, idleSince := sqlstore.TouchArgs(now, idle)
	ws, err := sqlstore.ScanWebSession(s.pool.QueryRow(ctx, sqlstore.TouchWebSession, id, at, idleSince))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.WebSession{}, s.fail("web session", err)
	}
	return ws, nil
}

// UpdateWebSession writes the session's User, Stage and Data.
func (s *Store) UpdateWebSession(ctx context.Context, ws *store.WebSession) error {
	if err := mustChange(s.pool.Exec(ctx, sqlstore.UpdateWebSession, ws.ID, ws.User, ws.Stage, ws.Data)); err != nil {
		return s.fail(fmt.Sprintf("update web session of %q", ws.User), err)
	}
	return nil
}

// DeleteWebSession ends one session.
func (s *Store) DeleteWebSession(ctx context.Context, id []byte) error {
	if err := mustChange(s.pool.Exec(ctx, sqlstore.DeleteWebSession, id)); err != nil {
		return s.fail("delete web session", err)
	}
	return nil
}

// DeleteUserWebSessions ends every session of user.
func (s *Store) DeleteUserWebSessions(ctx context.Context, user string) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlstore.DeleteUserWebSessions, user)
	if err != nil {
		return 0, s.fail(fmt.Sprintf("delete the web sessions of %q", user), err)
	}
	return int(tag.RowsAffected()), nil
}

// PutWebInvite stores inv; ErrExists if its ID is taken.
func (s *Store) PutWebInvite(ctx context.Context, inv *store.WebInvite) error {
	if err := sqlstore.PrepareWebInvite(inv); err != nil {
		return fmt.Errorf("pgstore: put invitation: %w", err)
	}
	_, err := s.pool.Exec(ctx, sqlstore.InsertWebInvite, sqlstore.WebInviteArgs(inv)...)
	if isUnique(err) {
		err = store.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("put invitation for %q", inv.User), err)
	}
	return nil
}

// TakeWebInvite deletes the invitation and returns it if it had not
// expired at now.
func (s *Store) TakeWebInvite(ctx context.Context, id []byte, now time.Time) (store.WebInvite, error) {
	inv, err := sqlstore.ScanWebInvite(s.pool.QueryRow(ctx, sqlstore.TakeWebInvite, id))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !now.Before(inv.Expires)) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.WebInvite{}, s.fail("take invitation", err)
	}
	return inv, nil
}

// PurgeWeb deletes the dead sessions and expired invitations.
func (s *Store) PurgeWeb(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	at, idleSince := sqlstore.TouchArgs(now, idle)
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a, err := tx.Exec(ctx, sqlstore.PurgeWebSessions, at, idleSince)
		if err != nil {
			return err
		}
		b, err := tx.Exec(ctx, sqlstore.PurgeWebInvites, at)
		n = a.RowsAffected() + b.RowsAffected()
		return err
	})
	if err != nil {
		return 0, s.fail("purge web sessions", err)
	}
	return int(n), nil
}

// AddFirstToken adds t if its user has no token, under the user's row
// lock.
func (s *Store) AddFirstToken(ctx context.Context, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("pgstore: add first token: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, lockUser, t.User).Scan(&name); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %q: %w", t.User, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, sqlstore.CountUserTokens, t.User).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("user %q has a token: %w", t.User, store.ErrExists)
		}
		_, err := tx.Exec(ctx, sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
		return tokenConflict(err, t)
	})
	if err != nil {
		return s.fail(fmt.Sprintf("add first token of %q", t.User), err)
	}
	return nil
}
