package sqlstore

import (
	"database/sql"
	"errors"

	"otpgate.dev/otpgate/internal/store"
)

// The statements of store.APIKeys.
const (
	APIKeyColumns   = `id, kind, scope, name, secret, created, revoked`
	InsertAPIKey    = `INSERT INTO api_keys (` + APIKeyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	SelectAPIKey    = `SELECT ` + APIKeyColumns + ` FROM api_keys WHERE id = $1`
	SelectAPIKeys   = `SELECT ` + APIKeyColumns + ` FROM api_keys ORDER BY created, id`
	RevokeAPIKey    = `UPDATE api_keys SET revoked = $2 WHERE id = $1 AND revoked IS NULL`
	SetAPIKeySecret = `UPDATE api_keys SET secret = $2 WHERE id = $1`
)

// PrepareAPIKey checks k before an insert and sets a zero Created to now.
func PrepareAPIKey(k *store.APIKey) error {
	if k.ID == "" || k.Kind == "" || k.Scope == "" || len(k.Secret) == 0 {
		return errors.New("an API key needs its ID, Kind, Scope and Secret set")
	}
	k.Created = OrNow(k.Created)
	return nil
}

// APIKeyArgs returns k's values for APIKeyColumns.
func APIKeyArgs(k *store.APIKey) []any {
	return []any{k.ID, string(k.Kind), k.Scope, k.Name, k.Secret, Nanos(k.Created), Time(k.Revoked)}
}

// ScanAPIKey reads a row of APIKeyColumns.
func ScanAPIKey(row Scanner) (store.APIKey, error) {
	var (
		k       store.APIKey
		kind    string
		created int64
		revoked sql.NullInt64
	)
	err := row.Scan(&k.ID, &kind, &k.Scope, &k.Name, &k.Secret, &created, &revoked)
	k.Kind = store.APIKeyKind(kind)
	k.Created, k.Revoked = FromNanos(created), FromNull(revoked)
	return k, err
}
