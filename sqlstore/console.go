package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

var _ directory.ConsoleStore = (*DB)(nil)

const consoleUserColumns = `id, email, account_id, password_hash, created_at, last_sign_in`

func scanConsoleUser(row interface{ Scan(...any) error }) (*directory.ConsoleUser, error) {
	u := &directory.ConsoleUser{}
	var account sql.NullString
	err := row.Scan(&u.ID, &u.Email, &account, &u.PasswordHash, scanTime(&u.CreatedAt),
		scanTimePtr(&u.LastSignInAt))
	if err != nil {
		return nil, err
	}
	u.AccountID = account.String
	return u, nil
}

// CreateConsoleUser inserts u. It returns an error wrapping
// directory.ErrConflict when the email is taken and directory.ErrNotFound
// when u's account does not exist.
func (d *DB) CreateConsoleUser(ctx context.Context, u *directory.ConsoleUser) error {
	return d.consoleTx(ctx, "create console user", func(tx *sql.Tx) error {
		if err := d.lockConsoleUsers(ctx, tx); err != nil {
			return err
		}
		return d.insertConsoleUser(ctx, tx, u)
	})
}

// lockConsoleUsers serialises, within tx, the writes whose rule depends on
// which console users exist: a setup link makes the first user only, and
// the last operator stays. On SQLite every write transaction holds the
// database's write lock from its start (BEGIN IMMEDIATE), which is enough.
// On PostgreSQL a check such as NOT EXISTS sees no uncommitted row, so two
// transactions under READ COMMITTED could both pass it; a transaction-scoped
// advisory lock, per schema like the migration lock, makes them take turns.
// A statement after the lock sees whatever the previous holder committed.
func (d *DB) lockConsoleUsers(ctx context.Context, tx *sql.Tx) error {
	if d.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtext('scimd console users ' || current_schema()))`)
	if err != nil {
		return fmt.Errorf("lock console users: %w", err)
	}
	return nil
}

func (d *DB) insertConsoleUser(ctx context.Context, q querier, u *directory.ConsoleUser) error {
	u.CreatedAt = stored(u.CreatedAt)
	_, err := q.ExecContext(ctx, d.rebind(`INSERT INTO console_users (`+consoleUserColumns+`)
		VALUES (?, ?, ?, ?, ?, ?)`), u.ID, fold(u.Email), nullString(u.AccountID),
		u.PasswordHash, d.ts(u.CreatedAt), d.tsPtr(u.LastSignInAt))
	if err != nil {
		return fmt.Errorf("insert console user %q: %w", u.Email, d.mapErr(err))
	}
	return nil
}

// ConsoleUser returns the console user with the given id, or an error
// wrapping directory.ErrNotFound.
func (d *DB) ConsoleUser(ctx context.Context, id string) (*directory.ConsoleUser, error) {
	row := d.rdb.QueryRowContext(ctx, d.rebind(
		`SELECT `+consoleUserColumns+` FROM console_users WHERE id = ?`), id)
	u, err := scanConsoleUser(row)
	if err != nil {
		return nil, fmt.Errorf("read console user %q: %w", id, d.notFound(err))
	}
	return u, nil
}

// ConsoleUserByEmail returns the console user with the given email, compared
// case-insensitively, or an error wrapping directory.ErrNotFound.
func (d *DB) ConsoleUserByEmail(ctx context.Context, email string) (*directory.ConsoleUser, error) {
	row := d.rdb.QueryRowContext(ctx, d.rebind(
		`SELECT `+consoleUserColumns+` FROM console_users WHERE email = ?`), fold(email))
	u, err := scanConsoleUser(row)
	if err != nil {
		return nil, fmt.Errorf("read console user %q: %w", email, d.notFound(err))
	}
	return u, nil
}

// ConsoleUsers lists the console users of an account by email; accountID ""
// lists the operators.
func (d *DB) ConsoleUsers(ctx context.Context, accountID string) ([]*directory.ConsoleUser, error) {
	query := `SELECT ` + consoleUserColumns + ` FROM console_users WHERE account_id = ?
		ORDER BY email`
	args := []any{accountID}
	if accountID == "" {
		query = `SELECT ` + consoleUserColumns + ` FROM console_users
			WHERE account_id IS NULL ORDER BY email`
		args = nil
	}
	rows, err := d.rdb.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list console users: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.ConsoleUser
	for rows.Next() {
		u, err := scanConsoleUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list console users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list console users: %w", d.mapErr(err))
	}
	return out, nil
}

// HasConsoleUsers reports whether any console user exists.
func (d *DB) HasConsoleUsers(ctx context.Context) (bool, error) {
	var one int
	err := d.rdb.QueryRowContext(ctx, `SELECT 1 FROM console_users LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count console users: %w", d.mapErr(err))
	}
	return true, nil
}

// SetConsolePassword replaces a user's password hash and ends the user's
// sessions in one transaction. It returns an error wrapping
// directory.ErrNotFound for an unknown user.
func (d *DB) SetConsolePassword(ctx context.Context, id, hash string) error {
	return d.consoleTx(ctx, "set password of console user "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.rebind(
			`UPDATE console_users SET password_hash = ? WHERE id = ?`), hash, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, d.rebind(
			`DELETE FROM console_sessions WHERE user_id = ?`), id)
		return err
	})
}

// RecordSignIn sets a user's last sign-in time. It returns an error wrapping
// directory.ErrNotFound for an unknown user.
func (d *DB) RecordSignIn(ctx context.Context, id string, at time.Time) error {
	return d.consoleExec(ctx, "record sign-in of console user", id,
		`UPDATE console_users SET last_sign_in = ? WHERE id = ?`, d.ts(at), id)
}

// DeleteConsoleUser removes a user and, by cascade, the user's sessions. It
// returns an error wrapping directory.ErrNotFound for an unknown user and
// directory.ErrConflict, deleting nothing, for the last operator. Deletions
// are serialised, so two operators removing each other at once leave one.
func (d *DB) DeleteConsoleUser(ctx context.Context, id string) error {
	return d.consoleTx(ctx, "delete console user "+id, func(tx *sql.Tx) error {
		if err := d.lockConsoleUsers(ctx, tx); err != nil {
			return err
		}
		var account sql.NullString
		err := tx.QueryRowContext(ctx, d.rebind(
			`SELECT account_id FROM console_users WHERE id = ?`), id).Scan(&account)
		if err != nil {
			return d.notFound(err)
		}
		if !account.Valid {
			var others int
			err := tx.QueryRowContext(ctx, d.rebind(`SELECT count(*) FROM console_users
				WHERE account_id IS NULL AND id <> ?`), id).Scan(&others)
			if err != nil {
				return err
			}
			if others == 0 {
				return fmt.Errorf("%w: the last operator cannot be removed",
					directory.ErrConflict)
			}
		}
		_, err = tx.ExecContext(ctx, d.rebind(`DELETE FROM console_users WHERE id = ?`), id)
		return err
	})
}

// CreateSession inserts s. It returns an error wrapping directory.ErrNotFound
// when s's user does not exist.
func (d *DB) CreateSession(ctx context.Context, s *directory.Session) error {
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt =
		stored(s.CreatedAt), stored(s.LastSeenAt), stored(s.ExpiresAt)
	_, err := d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO console_sessions
		(id, user_id, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)`),
		s.ID, s.UserID, d.ts(s.CreatedAt), d.ts(s.LastSeenAt), d.ts(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert session: %w", d.mapErr(err))
	}
	return nil
}

// Session returns the session with the given id, expired or not, or an
// error wrapping directory.ErrNotFound.
func (d *DB) Session(ctx context.Context, id string) (*directory.Session, error) {
	s := &directory.Session{}
	err := d.rdb.QueryRowContext(ctx, d.rebind(`SELECT id, user_id, created_at, last_seen,
		expires_at FROM console_sessions WHERE id = ?`), id).Scan(&s.ID, &s.UserID,
		scanTime(&s.CreatedAt), scanTime(&s.LastSeenAt), scanTime(&s.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("read session: %w", d.notFound(err))
	}
	return s, nil
}

// TouchSession records activity in a session. It returns an error wrapping
// directory.ErrNotFound for an unknown session.
func (d *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	return d.consoleExec(ctx, "touch session", "", `UPDATE console_sessions SET last_seen = ?
		WHERE id = ?`, d.ts(at), id)
}

// DeleteSession ends a session; an unknown one is no error.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := d.wdb.ExecContext(ctx, d.rebind(`DELETE FROM console_sessions WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("delete session: %w", d.mapErr(err))
	}
	return nil
}

// CreateSetupToken inserts t.
func (d *DB) CreateSetupToken(ctx context.Context, t *directory.SetupToken) error {
	t.CreatedAt, t.ExpiresAt = stored(t.CreatedAt), stored(t.ExpiresAt)
	_, err := d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO console_setup_tokens
		(id, created_at, expires_at) VALUES (?, ?, ?)`), t.ID, d.ts(t.CreatedAt),
		d.ts(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert setup token: %w", d.mapErr(err))
	}
	return nil
}

// SetupTokenValid reports whether the setup token id exists and has not
// expired at now.
func (d *DB) SetupTokenValid(ctx context.Context, id string, now time.Time) (bool, error) {
	var one int
	err := d.rdb.QueryRowContext(ctx, d.rebind(`SELECT 1 FROM console_setup_tokens
		WHERE id = ? AND expires_at > ?`), id, d.ts(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read setup token: %w", d.mapErr(err))
	}
	return true, nil
}

// RedeemSetupToken deletes the setup token id and inserts u in one
// transaction, provided no console user exists then. It returns an error
// wrapping directory.ErrNotFound when the token is unknown, used or expired
// at now, or when a console user exists; the token then stays as it was. Of
// several tokens redeemed at once, one succeeds.
func (d *DB) RedeemSetupToken(ctx context.Context, id string, now time.Time,
	u *directory.ConsoleUser) error {
	return d.consoleTx(ctx, "redeem setup token", func(tx *sql.Tx) error {
		if err := d.lockConsoleUsers(ctx, tx); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM console_users LIMIT 1`).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: a console user exists already", directory.ErrNotFound)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}

		res, err := tx.ExecContext(ctx, d.rebind(`DELETE FROM console_setup_tokens
			WHERE id = ? AND expires_at > ?`), id, d.ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return directory.ErrNotFound
		}
		return d.insertConsoleUser(ctx, tx, u)
	})
}

// AddSignInFailure counts a failed sign-in under key and returns the count.
// One statement reads and writes the count, so concurrent failures on
// several replicas are all counted.
func (d *DB) AddSignInFailure(ctx context.Context, key string, at time.Time,
	window time.Duration) (int, error) {
	var n int
	err := d.wdb.QueryRowContext(ctx, d.rebind(`INSERT INTO console_signin_failures
		(key, failures, last_failure) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN console_signin_failures.last_failure < ? THEN 1
				ELSE console_signin_failures.failures + 1 END,
			last_failure = excluded.last_failure
		RETURNING failures`), key, d.ts(at), d.ts(at.Add(-window))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sign-in failure: %w", d.mapErr(err))
	}
	return n, nil
}

// SignInFailures returns the failure count under key and the time of the
// last failure; 0 and the zero time when none is counted.
func (d *DB) SignInFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var last time.Time
	err := d.rdb.QueryRowContext(ctx, d.rebind(`SELECT failures, last_failure
		FROM console_signin_failures WHERE key = ?`), key).Scan(&n, scanTime(&last))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read sign-in failures: %w", d.mapErr(err))
	}
	return n, last, nil
}

// ClearSignInFailures forgets the failures counted under key.
func (d *DB) ClearSignInFailures(ctx context.Context, key string) error {
	_, err := d.wdb.ExecContext(ctx, d.rebind(
		`DELETE FROM console_signin_failures WHERE key = ?`), key)
	if err != nil {
		return fmt.Errorf("clear sign-in failures: %w", d.mapErr(err))
	}
	return nil
}

// PruneConsole deletes sessions and setup tokens expired at now and sign-in
// failure counts last changed before failuresBefore.
func (d *DB) PruneConsole(ctx context.Context, now, failuresBefore time.Time) error {
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{`DELETE FROM console_sessions WHERE expires_at <= ?`, now},
		{`DELETE FROM console_setup_tokens WHERE expires_at <= ?`, now},
		{`DELETE FROM console_signin_failures WHERE last_failure < ?`, failuresBefore},
	} {
		if _, err := d.wdb.ExecContext(ctx, d.rebind(q.sql), d.ts(q.at)); err != nil {
			return fmt.Errorf("prune console: %w", d.mapErr(err))
		}
	}
	return nil
}

// consoleTx runs fn in a write transaction and commits when it returns nil.
// Errors are mapped and wrapped with what.
func (d *DB) consoleTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := d.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, d.mapErr(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", what, d.mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, d.mapErr(err))
	}
	return nil
}

// consoleExec runs a statement that must change one row, and returns an error
// wrapping directory.ErrNotFound when it changed none.
func (d *DB) consoleExec(ctx context.Context, verb, id, query string, args ...any) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", verb, id, d.mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", verb, id, directory.ErrNotFound)
	}
	return nil
}
