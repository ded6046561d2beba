package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

var _ directory.WebhookStore = (*DB)(nil)

// CreateAPIKey implements directory.APIKeyStore.
func (d *DB) CreateAPIKey(ctx context.Context, k *directory.APIKey) error {
	k.CreatedAt = stored(k.CreatedAt)
	_, err := d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO api_keys
		(id, label, prefix, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`),
		k.ID, k.Label, k.Prefix, k.Hash, d.ts(k.CreatedAt), d.tsPtr(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("insert api key %q: %w", k.Prefix, d.mapErr(err))
	}
	return nil
}

const apiKeyColumns = `id, label, prefix, hash, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (*directory.APIKey, error) {
	var k directory.APIKey
	err := row.Scan(&k.ID, &k.Label, &k.Prefix, &k.Hash, scanTime(&k.CreatedAt),
		scanTimePtr(&k.RevokedAt))
	return &k, err
}

// APIKeyByHash implements directory.APIKeyStore.
func (d *DB) APIKeyByHash(ctx context.Context, hash []byte) (*directory.APIKey, error) {
	row := d.rdb.QueryRowContext(ctx,
		d.rebind(`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`), hash)
	k, err := scanAPIKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, directory.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", d.mapErr(err))
	}
	return k, nil
}

// APIKeys implements directory.APIKeyStore.
func (d *DB) APIKeys(ctx context.Context) ([]*directory.APIKey, error) {
	rows, err := d.rdb.QueryContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		out = append(out, k)
	}
	return out, d.mapErr(rows.Err())
}

// RevokeAPIKey implements directory.APIKeyStore. Revoking a revoked key
// keeps its first revocation time.
func (d *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE api_keys
		SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), d.ts(at), id)
	return d.affected(res, err, "revoke api key", id)
}

// affected turns the result of an UPDATE or DELETE of one row by id into
// nil, ErrNotFound when no row matched, or the mapped error.
func (d *DB) affected(res sql.Result, err error, op, id string) error {
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, d.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, d.mapErr(err))
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", op, id, directory.ErrNotFound)
	}
	return nil
}

// CreateEndpoint implements directory.EndpointStore.
func (d *DB) CreateEndpoint(ctx context.Context, e *directory.Endpoint) error {
	types, err := encodeTypes(e.EventTypes)
	if err != nil {
		return err
	}
	e.CreatedAt = stored(e.CreatedAt)
	_, err = d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO webhook_endpoints
		(id, account_id, url, secret, event_types, enabled, allow_private, failing_since,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, nullString(e.AccountID), e.URL, e.Secret, types, e.Enabled, e.AllowPrivate,
		d.tsPtr(e.FailingSince), d.ts(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert endpoint %q: %w", e.URL, d.mapErr(err))
	}
	return nil
}

func encodeTypes(types []string) (string, error) {
	if types == nil {
		types = []string{}
	}
	b, err := json.Marshal(types)
	if err != nil {
		return "", fmt.Errorf("encode event types: %w", err)
	}
	return string(b), nil
}

const endpointColumns = `id, account_id, url, secret, event_types, enabled,
	allow_private, failing_since, created_at`

func scanEndpoint(row interface{ Scan(...any) error }) (*directory.Endpoint, error) {
	var (
		e       directory.Endpoint
		account sql.NullString
		types   []byte
	)
	err := row.Scan(&e.ID, &account, &e.URL, &e.Secret, &types, &e.Enabled, &e.AllowPrivate,
		scanTimePtr(&e.FailingSince), scanTime(&e.CreatedAt))
	if err != nil {
		return nil, err
	}
	e.AccountID = account.String
	if err := json.Unmarshal(types, &e.EventTypes); err != nil {
		return nil, fmt.Errorf("decode event types of endpoint %q: %w", e.ID, err)
	}
	return &e, nil
}

// Endpoint implements directory.EndpointStore.
func (d *DB) Endpoint(ctx context.Context, id string) (*directory.Endpoint, error) {
	row := d.rdb.QueryRowContext(ctx,
		d.rebind(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`), id)
	e, err := scanEndpoint(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find endpoint %q: %w", id, directory.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find endpoint %q: %w", id, d.mapErr(err))
	}
	return e, nil
}

// Endpoints implements directory.EndpointStore.
func (d *DB) Endpoints(ctx context.Context) ([]*directory.Endpoint, error) {
	return d.listEndpoints(ctx, "list endpoints",
		`SELECT `+endpointColumns+` FROM webhook_endpoints ORDER BY created_at, id`)
}

// Queries of EndpointsFor. Both are answered from the index on account_id:
// a global endpoint's account_id is NULL, and IS NULL is an index lookup on
// both engines. The sort is of one account's few rows.
const (
	endpointsOfAccount = `SELECT ` + endpointColumns + ` FROM webhook_endpoints
		WHERE account_id = ? ORDER BY created_at, id`
	endpointsOfAccountAndGlobal = `SELECT ` + endpointColumns + ` FROM webhook_endpoints
		WHERE account_id = ? OR account_id IS NULL ORDER BY created_at, id`
)

// EndpointsFor implements directory.EndpointStore.
func (d *DB) EndpointsFor(ctx context.Context, accountID string,
	withGlobal bool) ([]*directory.Endpoint, error) {
	query := endpointsOfAccount
	if withGlobal {
		query = endpointsOfAccountAndGlobal
	}
	return d.listEndpoints(ctx, fmt.Sprintf("list endpoints of account %q", accountID),
		query, accountID)
}

// listEndpoints runs a query of endpointColumns; op names it in errors.
func (d *DB) listEndpoints(ctx context.Context, op, query string,
	args ...any) ([]*directory.Endpoint, error) {
	rows, err := d.rdb.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: scan endpoint: %w", op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, d.mapErr(err))
	}
	return out, nil
}

// UpdateEndpoint implements directory.EndpointStore.
func (d *DB) UpdateEndpoint(ctx context.Context, e *directory.Endpoint) error {
	types, err := encodeTypes(e.EventTypes)
	if err != nil {
		return err
	}
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_endpoints
		SET url = ?, secret = ?, event_types = ?, enabled = ? WHERE id = ?`),
		e.URL, e.Secret, types, e.Enabled, e.ID)
	return d.affected(res, err, "update endpoint", e.ID)
}

// SetEndpointFailing implements directory.EndpointStore.
func (d *DB) SetEndpointFailing(ctx context.Context, id string, since *time.Time) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_endpoints
		SET failing_since = ? WHERE id = ?`), d.tsPtr(since), id)
	return d.affected(res, err, "mark endpoint", id)
}

// DeleteEndpoint implements directory.EndpointStore. Streams and attempts
// go with it through ON DELETE CASCADE.
func (d *DB) DeleteEndpoint(ctx context.Context, id string) error {
	res, err := d.wdb.ExecContext(ctx,
		d.rebind(`DELETE FROM webhook_endpoints WHERE id = ?`), id)
	return d.affected(res, err, "delete endpoint", id)
}

// PruneDeliveries implements directory.DeliveryStore.
func (d *DB) PruneDeliveries(ctx context.Context, olderThan time.Time, batch int) (int, error) {
	return d.prune(ctx, `DELETE FROM webhook_deliveries WHERE id IN
		(SELECT id FROM webhook_deliveries WHERE time < ? LIMIT ?)`,
		"deliveries", olderThan, batch)
}

func (d *DB) prune(ctx context.Context, query, what string, olderThan time.Time,
	batch int) (int, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("prune %s: batch %d is not positive", what, batch)
	}
	res, err := d.wdb.ExecContext(ctx, d.rebind(query), d.ts(olderThan), batch)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", what, d.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", what, d.mapErr(err))
	}
	return int(n), nil
}
