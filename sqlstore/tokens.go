package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

// CreateToken inserts t. It returns an error wrapping directory.ErrNotFound
// when t's account does not exist, and directory.ErrConflict when its id or
// hash is taken. Times in t are set to the stored instants.
func (d *DB) CreateToken(ctx context.Context, t *directory.Token) error {
	t.CreatedAt = stored(t.CreatedAt)
	for _, p := range []**time.Time{&t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt} {
		if *p != nil {
			v := stored(**p)
			*p = &v
		}
	}
	_, err := d.writer().ExecContext(ctx, d.rebind(`INSERT INTO tokens (id, account_id, label,
		prefix, hash, created_at, expires_at, revoked_at, last_used_at, last_used_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.AccountID, t.Label, t.Prefix, t.Hash, d.ts(t.CreatedAt),
		d.tsPtr(t.ExpiresAt), d.tsPtr(t.RevokedAt), d.tsPtr(t.LastUsedAt), t.LastUsedAddr)
	if err != nil {
		return fmt.Errorf("insert token %q: %w", t.ID, d.mapErr(err))
	}
	return nil
}

const tokenColumns = `id, account_id, label, prefix, hash, created_at, expires_at,
	revoked_at, last_used_at, last_used_addr`

func scanToken(row interface{ Scan(...any) error }) (*directory.Token, error) {
	t := &directory.Token{}
	err := row.Scan(&t.ID, &t.AccountID, &t.Label, &t.Prefix, &t.Hash,
		scanTime(&t.CreatedAt), scanTimePtr(&t.ExpiresAt), scanTimePtr(&t.RevokedAt),
		scanTimePtr(&t.LastUsedAt), &t.LastUsedAddr)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TokenByHash returns the token whose digest is hash, whatever its state, or
// an error wrapping directory.ErrNotFound.
func (d *DB) TokenByHash(ctx context.Context, hash []byte) (*directory.Token, error) {
	row := d.reader().QueryRowContext(ctx, d.rebind(
		`SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`), hash)
	t, err := scanToken(row)
	if err != nil {
		return nil, fmt.Errorf("read token by hash: %w", d.notFound(err))
	}
	return t, nil
}

// Token returns one of an account's tokens, or an error wrapping
// directory.ErrNotFound, also for another account's token.
func (d *DB) Token(ctx context.Context, accountID, id string) (*directory.Token, error) {
	row := d.reader().QueryRowContext(ctx, d.rebind(
		`SELECT `+tokenColumns+` FROM tokens WHERE account_id = ? AND id = ?`), accountID, id)
	t, err := scanToken(row)
	if err != nil {
		return nil, fmt.Errorf("read token %q: %w", id, d.notFound(err))
	}
	return t, nil
}

// TokenByID returns the token with the given id, whatever its account, or
// an error wrapping directory.ErrNotFound. It reads one row by primary key;
// it is for operators, not for anything acting for one account.
func (d *DB) TokenByID(ctx context.Context, id string) (*directory.Token, error) {
	row := d.reader().QueryRowContext(ctx, d.rebind(
		`SELECT `+tokenColumns+` FROM tokens WHERE id = ?`), id)
	t, err := scanToken(row)
	if err != nil {
		return nil, fmt.Errorf("read token %q: %w", id, d.notFound(err))
	}
	return t, nil
}

// Tokens lists an account's tokens, newest first.
func (d *DB) Tokens(ctx context.Context, accountID string) ([]*directory.Token, error) {
	rows, err := d.reader().QueryContext(ctx, d.rebind(`SELECT `+tokenColumns+`
		FROM tokens WHERE account_id = ? ORDER BY created_at DESC, id DESC`), accountID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", d.mapErr(err))
	}
	return out, nil
}

// SetTokenExpiry sets when a token stops working. It returns an error
// wrapping directory.ErrNotFound for an unknown or another account's token.
func (d *DB) SetTokenExpiry(ctx context.Context, accountID, id string, at time.Time) error {
	return d.updateToken(ctx, "set expiry of token", `UPDATE tokens SET expires_at = ?
		WHERE account_id = ? AND id = ?`, id, d.ts(at), accountID, id)
}

// RevokeToken stops a token at time at. It returns an error wrapping
// directory.ErrNotFound for an unknown or another account's token.
func (d *DB) RevokeToken(ctx context.Context, accountID, id string, at time.Time) error {
	return d.updateToken(ctx, "revoke token", `UPDATE tokens SET revoked_at = ?
		WHERE account_id = ? AND id = ?`, id, d.ts(at), accountID, id)
}

// TouchToken records a token's last use. It returns an error wrapping
// directory.ErrNotFound for an unknown token.
func (d *DB) TouchToken(ctx context.Context, id string, at time.Time, addr string) error {
	return d.updateToken(ctx, "record use of token", `UPDATE tokens
		SET last_used_at = ?, last_used_addr = ? WHERE id = ?`, id, d.ts(at), addr, id)
}

func (d *DB) updateToken(ctx context.Context, verb, query, id string, args ...any) error {
	res, err := d.writer().ExecContext(ctx, d.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", verb, id, d.mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", verb, id, directory.ErrNotFound)
	}
	return nil
}
