package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// walkPage is how many tokens ForEachToken and Reseal hold at once.
const walkPage = 256

var readQueries = []string{sqlstore.SelectUser, sqlstore.SelectUsers, sqlstore.SelectTokenPage}

// hotQueries are the reads of a login, run by the store's readers.
var hotQueries = []string{sqlstore.SelectToken, sqlstore.SelectTokenByIdentifier, sqlstore.SelectTokensByUser,
	sqlstore.SelectLoginFailure, sqlstore.SelectRecoveryCodes, sqlstore.SelectUserGroups, sqlstore.SelectGroupMembers}

// AddToken stores t. A zero t.Created is set to now, a zero t.ConfiguredAt
// to t.Created.
func (s *Store) AddToken(ctx context.Context, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("sqlite: add token: %w", err)
	}
	err := s.write(ctx, func(w *writer) error {
		_, err := w.exec(sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
		return tokenConflict(err, t)
	})
	if err != nil {
		return fmt.Errorf("sqlite: add token %q: %w", t.ID, err)
	}
	return nil
}

// tokenConflict turns a constraint failure of an insert or update of t into
// the store's answer.
func tokenConflict(err error, t *store.Token) error {
	switch {
	case err == nil:
		return nil
	case isForeignKey(err):
		return answer(fmt.Errorf("user %q: %w", t.User, store.ErrNotFound))
	case isUnique(err) && uniqueColumn(err) == "identifier":
		return answer(fmt.Errorf("identifier %q: %w", t.Identifier, store.ErrExists))
	case isUnique(err):
		return answer(store.ErrExists)
	}
	return err
}

// Token returns the token with id, or ErrNotFound.
func (s *Store) Token(ctx context.Context, id string) (store.Token, error) {
	t, err := s.tokenBy(ctx, sqlstore.SelectToken, id)
	if err != nil {
		return store.Token{}, fmt.Errorf("sqlite: token %q: %w", id, err)
	}
	return t, nil
}

// TokenByIdentifier returns the token whose Identifier is ident, or
// ErrNotFound.
func (s *Store) TokenByIdentifier(ctx context.Context, ident string) (store.Token, error) {
	if ident == "" {
		return store.Token{}, fmt.Errorf("sqlite: token by identifier: %w", store.ErrNotFound)
	}
	t, err := s.tokenBy(ctx, sqlstore.SelectTokenByIdentifier, ident)
	if err != nil {
		return store.Token{}, fmt.Errorf("sqlite: token by identifier %q: %w", ident, err)
	}
	return t, nil
}

func (s *Store) tokenBy(ctx context.Context, query, key string) (store.Token, error) {
	var t store.Token
	err := s.hot.do(ctx, func(ctx context.Context, r *reader) (err error) {
		t, err = sqlstore.ScanToken(r.queryRow(ctx, query, key))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, err
	}
	return t, nil
}

// Tokens returns user's tokens, oldest first. A user without tokens, or an
// unknown user, has none.
func (s *Store) Tokens(ctx context.Context, user string) ([]store.Token, error) {
	var ts []store.Token
	err := s.hot.do(ctx, func(ctx context.Context, r *reader) (err error) {
		ts, err = collect(r.query(ctx, sqlstore.SelectTokensByUser, user))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: tokens of %q: %w", user, err)
	}
	return ts, nil
}

func collect(rows *sql.Rows, err error) ([]store.Token, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []store.Token
	for rows.Next() {
		t, err := sqlstore.ScanToken(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// ForEachToken calls fn for every token in id order, walkPage tokens at a
// time after the first, which is read alone: the walks that stop at the
// first token (the master key's check when a store opens, in every
// one-shot hook among them) read one row, not a page of wide ones. No
// transaction spans the walk: fn may call the store, and sees tokens added
// or changed meanwhile or not.
func (s *Store) ForEachToken(ctx context.Context, fn func(store.Token) error) error {
	after := ""
	for n := 1; ; n = walkPage {
		ts, err := collect(s.reads.query(ctx, sqlstore.SelectTokenPage, after, n))
		if err != nil {
			return fmt.Errorf("sqlite: walk tokens: %w", err)
		}
		for _, t := range ts {
			if err := fn(t); err != nil {
				return err
			}
		}
		if len(ts) < n {
			return nil
		}
		after = ts[len(ts)-1].ID
	}
}

// UpdateToken writes t's configuration and sets t.ConfiguredAt to now. It
// never lowers the stored Next (a code accepted since t was read stays
// used) and sets t.Next to the stored value.
func (s *Store) UpdateToken(ctx context.Context, t *store.Token) error {
	if err := sqlstore.CheckToken(t); err != nil {
		return fmt.Errorf("sqlite: update token: %w", err)
	}
	t.ConfiguredAt = sqlstore.Now()
	var next int64
	err := s.write(ctx, func(w *writer) error {
		err := w.queryRow(sqlstore.UpdateToken, sqlstore.UpdateTokenArgs(t)...).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return answer(store.ErrNotFound)
		}
		return tokenConflict(err, t)
	})
	if err != nil {
		return fmt.Errorf("sqlite: update token %q: %w", t.ID, err)
	}
	t.Next = next
	return nil
}

// DeleteToken removes the token with id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	err := s.write(ctx, func(w *writer) error {
		return mustChange(w.exec(sqlstore.DeleteToken, id))
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete token %q: %w", id, err)
	}
	return nil
}

// Import creates users and adds tokens in one transaction.
func (s *Store) Import(ctx context.Context, users []string, tokens []*store.Token) error {
	created := sqlstore.Now()
	if err := sqlstore.PrepareTokens(created, tokens...); err != nil {
		return fmt.Errorf("sqlite: import: %w", err)
	}
	err := s.writeAtomic(ctx, func(w *writer) error {
		for _, u := range users {
			_, err := w.exec(sqlstore.InsertUser, u, sqlstore.Nanos(created))
			if isUnique(err) {
				return answer(fmt.Errorf("user %q: %w", u, store.ErrExists))
			}
			if err != nil {
				return err
			}
		}
		for _, t := range tokens {
			_, err := w.exec(sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
			if err := tokenConflict(err, t); isOutcome(err) {
				return answer(fmt.Errorf("token %q: %w", t.ID, stripOutcome(err)))
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: import: %w", err)
	}
	return nil
}
