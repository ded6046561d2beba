package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scimd/scimd/directory"
)

// CreateAccount inserts a. It returns an error wrapping directory.ErrConflict
// when the name (or id) is taken. a.CreatedAt is set to the stored instant.
func (d *DB) CreateAccount(ctx context.Context, a *directory.Account) error {
	a.CreatedAt = stored(a.CreatedAt)
	_, err := d.writer().ExecContext(ctx, d.rebind(
		`INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`),
		a.ID, a.Name, d.ts(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert account %q: %w", a.Name, d.mapErr(err))
	}
	return nil
}

const accountColumns = `id, name, created_at`

func scanAccount(row interface{ Scan(...any) error }) (*directory.Account, error) {
	a := &directory.Account{}
	if err := row.Scan(&a.ID, &a.Name, scanTime(&a.CreatedAt)); err != nil {
		return nil, err
	}
	return a, nil
}

// Account returns the account with the given id, or an error wrapping
// directory.ErrNotFound.
func (d *DB) Account(ctx context.Context, id string) (*directory.Account, error) {
	row := d.reader().QueryRowContext(ctx, d.rebind(
		`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id)
	a, err := scanAccount(row)
	if err != nil {
		return nil, fmt.Errorf("read account %q: %w", id, d.notFound(err))
	}
	return a, nil
}

// AccountByName returns the account with the given name, or an error
// wrapping directory.ErrNotFound. Names match exactly.
func (d *DB) AccountByName(ctx context.Context, name string) (*directory.Account, error) {
	row := d.reader().QueryRowContext(ctx, d.rebind(
		`SELECT `+accountColumns+` FROM accounts WHERE name = ?`), name)
	a, err := scanAccount(row)
	if err != nil {
		return nil, fmt.Errorf("read account %q: %w", name, d.notFound(err))
	}
	return a, nil
}

// Accounts lists every account by name.
func (d *DB) Accounts(ctx context.Context) ([]*directory.Account, error) {
	rows, err := d.rdb.QueryContext(ctx,
		`SELECT `+accountColumns+` FROM accounts ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", d.mapErr(err))
	}
	return out, nil
}

// DeleteAccount removes an account and, by cascade, its tokens, users,
// groups, memberships and events. It returns an error wrapping
// directory.ErrNotFound for an unknown id.
func (d *DB) DeleteAccount(ctx context.Context, id string) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`DELETE FROM accounts WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("delete account %q: %w", id, d.mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete account %q: %w", id, directory.ErrNotFound)
	}
	return nil
}

// notFound maps sql.ErrNoRows to directory.ErrNotFound and every other
// error as mapErr does.
func (d *DB) notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return directory.ErrNotFound
	}
	return d.mapErr(err)
}
