package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// Session and invitation IDs are hashes of what a browser holds; errors
// never show them all the same.

// PutWebSession stores s; ErrExists if its ID is taken.
func (s *Store) PutWebSession(ctx context.Context, ws *store.WebSession) error {
	if err := sqlstore.PrepareWebSession(ws); err != nil {
		return fmt.Errorf("sqlite: put web session: %w", err)
	}
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertWebSession, sqlstore.WebSessionArgs(ws)...)
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put web session of %q: %w", ws.User, err)
	}
	return nil
}

// TouchWebSession returns a live session and records a request at now.
func (s *Store) TouchWebSession(ctx context.Context, id []byte, now time.Time, idle time.Duration) (store.WebSession, error) {
	at, idleSince := sqlstore.TouchArgs(now, idle)
	var ws store.WebSession
	err := s.write(ctx, func(w *writer) error {
		var err error
		ws, err = sqlstore.ScanWebSession(w.queryRow(sqlstore.TouchWebSession, id, at, idleSince))
		if errors.Is(err, sql.ErrNoRows) {
			return answer(store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return store.WebSession{}, fmt.Errorf("sqlite: web session: %w", err)
	}
	return ws, nil
}

// UpdateWebSession writes the session's User, Stage and Data.
func (s *Store) UpdateWebSession(ctx context.Context, ws *store.WebSession) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.UpdateWebSession, ws.ID, ws.User, ws.Stage, ws.Data))
	})
	if err != nil {
		return fmt.Errorf("sqlite: update web session of %q: %w", ws.User, err)
	}
	return nil
}

// DeleteWebSession ends one session.
func (s *Store) DeleteWebSession(ctx context.Context, id []byte) error {
	err := s.write(ctx, func(w *writer) error { return mustChange(w.exec(sqlstore.DeleteWebSession, id)) })
	if err != nil {
		return fmt.Errorf("sqlite: delete web session: %w", err)
	}
	return nil
}

// DeleteUserWebSessions ends every session of user.
func (s *Store) DeleteUserWebSessions(ctx context.Context, user string) (int, error) {
	n, err := s.deleteRows(ctx, sqlstore.DeleteUserWebSessions, user)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete the web sessions of %q: %w", user, err)
	}
	return n, nil
}

// PutWebInvite stores inv; ErrExists if its ID is taken.
func (s *Store) PutWebInvite(ctx context.Context, inv *store.WebInvite) error {
	if err := sqlstore.PrepareWebInvite(inv); err != nil {
		return fmt.Errorf("sqlite: put invitation: %w", err)
	}
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertWebInvite, sqlstore.WebInviteArgs(inv)...)
		if isUnique(err) {
			return answer(store.ErrExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put invitation for %q: %w", inv.User, err)
	}
	return nil
}

// TakeWebInvite deletes the invitation and returns it if it had not
// expired at now.
func (s *Store) TakeWebInvite(ctx context.Context, id []byte, now time.Time) (store.WebInvite, error) {
	var inv store.WebInvite
	err := s.write(ctx, func(w *writer) error {
		var err error
		inv, err = sqlstore.ScanWebInvite(w.queryRow(sqlstore.TakeWebInvite, id))
		if errors.Is(err, sql.ErrNoRows) {
			return answer(store.ErrNotFound)
		}
		return err
	})
	if err == nil && !now.Before(inv.Expires) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.WebInvite{}, fmt.Errorf("sqlite: take invitation: %w", err)
	}
	return inv, nil
}

// PurgeWeb deletes the dead sessions and expired invitations.
func (s *Store) PurgeWeb(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	at, idleSince := sqlstore.TouchArgs(now, idle)
	var n int64
	err := s.writeAtomic(ctx, func(w *writer) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{{sqlstore.PurgeWebSessions, []any{at, idleSince}}, {sqlstore.PurgeWebInvites, []any{at}}} {
			res, err := w.exec(q.sql, q.args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge web sessions: %w", err)
	}
	return int(n), nil
}

// AddFirstToken adds t if its user has no token; the single writer makes
// the count and the insert one step.
func (s *Store) AddFirstToken(ctx context.Context, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("sqlite: add first token: %w", err)
	}
	err := s.writeAtomic(ctx, func(w *writer) error {
		var n int
		if err := w.queryRow(sqlstore.CountUserTokens, t.User).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return answer(fmt.Errorf("user %q has a token: %w", t.User, store.ErrExists))
		}
		_, err := w.exec(sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
		return tokenConflict(err, t)
	})
	if err != nil {
		return fmt.Errorf("sqlite: add first token of %q: %w", t.User, err)
	}
	return nil
}

func (s *Store) deleteRows(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.exec(query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
