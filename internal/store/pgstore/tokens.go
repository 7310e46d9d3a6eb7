package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"otpgate.dev/otpgate/internal/store"
	"otpgate.dev/otpgate/internal/store/sqlstore"
)

// walkPage is how many tokens ForEachToken and Reseal hold at once.
const walkPage = 256

// AddToken stores t. A zero t.Created is set to now, a zero t.ConfiguredAt
// to t.Created.
func (s *Store) AddToken(ctx context.Context, t *store.Token) error {
	if err := sqlstore.PrepareTokens(sqlstore.Now(), t); err != nil {
		return fmt.Errorf("pgstore: add token: %w", err)
	}
	_, err := s.pool.Exec(ctx, sqlstore.InsertToken, sqlstore.TokenArgs(t)...)
	if err := tokenConflict(err, t); err != nil {
		return s.fail(fmt.Sprintf("add token %q", t.ID), err)
	}
	return nil
}

// tokenConflict turns a constraint failure of an insert or update of t into
// the store's answer.
func tokenConflict(err error, t *store.Token) error {
	if _, ok := constraint(err, foreignKeyViolation); ok {
		return fmt.Errorf("user %q: %w", t.User, store.ErrNotFound)
	}
	if name, ok := constraint(err, uniqueViolation); ok {
		if name == "tokens_by_identifier" {
			return fmt.Errorf("identifier %q: %w", t.Identifier, store.ErrExists)
		}
		return store.ErrExists
	}
	return err
}

// mustChange answers ErrNotFound when a statement changed no row.
func mustChange(tag pgconn.CommandTag, err error) error {
	if err == nil && tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return err
}

// Token returns the token with id, or ErrNotFound.
func (s *Store) Token(ctx context.Context, id string) (store.Token, error) {
	t, err := s.tokenBy(ctx, sqlstore.SelectToken, id)
	if err != nil {
		return store.Token{}, s.fail(fmt.Sprintf("token %q", id), err)
	}
	return t, nil
}

// TokenByIdentifier returns the token whose Identifier is ident, or
// ErrNotFound.
func (s *Store) TokenByIdentifier(ctx context.Context, ident string) (store.Token, error) {
	if ident == "" {
		return store.Token{}, fmt.Errorf("pgstore: token by identifier: %w", store.ErrNotFound)
	}
	t, err := s.tokenBy(ctx, sqlstore.SelectTokenByIdentifier, ident)
	if err != nil {
		return store.Token{}, s.fail(fmt.Sprintf("token by identifier %q", ident), err)
	}
	return t, nil
}

func (s *Store) tokenBy(ctx context.Context, query, key string) (store.Token, error) {
	t, err := sqlstore.ScanToken(s.pool.QueryRow(ctx, query, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	return t, err
}

// Tokens returns user's tokens, oldest first. A user without tokens, or an
// unknown user, has none.
func (s *Store) Tokens(ctx context.Context, user string) ([]store.Token, error) {
	ts, err := collect(s.pool.Query(ctx, sqlstore.SelectTokensByUser, user))
	if err != nil {
		return nil, s.fail(fmt.Sprintf("tokens of %q", user), err)
	}
	return ts, nil
}

func collect(rows pgx.Rows, err error) ([]store.Token, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Token, error) {
		return sqlstore.ScanToken(row)
	})
}

// querier is what a page of tokens is read from: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// page returns up to walkPage tokens after id after, in id order.
func page(ctx context.Context, q querier, after string) ([]store.Token, error) {
	return collect(q.Query(ctx, sqlstore.SelectTokenPage, after, walkPage))
}

// ForEachToken calls fn for every token in id order, walkPage tokens at a
// time. No transaction spans the walk: fn may call the store, and sees
// tokens added or changed meanwhile or not.
func (s *Store) ForEachToken(ctx context.Context, fn func(store.Token) error) error {
	after := ""
	for {
		ts, err := page(ctx, s.pool, after)
		if err != nil {
			return s.fail("walk tokens", err)
		}
		for _, t := range ts {
			if err := fn(t); err != nil {
				return err
			}
		}
		if len(ts) < walkPage {
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
		return fmt.Errorf("pgstore: update token: %w", err)
	}
	t.ConfiguredAt = sqlstore.Now()
	var next int64
	err := s.pool.QueryRow(ctx, sqlstore.UpdateToken, sqlstore.UpdateTokenArgs(t)...).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err := tokenConflict(err, t); err != nil {
		return s.fail(fmt.Sprintf("update token %q", t.ID), err)
	}
	t.Next = next
	return nil
}

// DeleteToken removes the token with id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if err := mustChange(s.pool.Exec(ctx, sqlstore.DeleteToken, id)); err != nil {
		return s.fail(fmt.Sprintf("delete token %q", id), err)
	}
	return nil
}
