package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/scimd/scimd/directory"
)

// maxAttempts bounds how often Write runs fn when PostgreSQL reports a
// serialisation failure or a deadlock.
const maxAttempts = 5

// Write runs fn in one transaction on an account's data and commits when fn
// returns nil. It returns fn's error as it is (after rolling back), an error
// wrapping directory.ErrNotFound when the account does not exist, and
// directory.ErrUnavailable when the database cannot be reached.
//
// When the connection fails during COMMIT on PostgreSQL, Write asks the
// database what became of the transaction (see commitFailed): it returns
// nil when the transaction committed, and ErrUnavailable when it did not or
// when the database stays unreachable for commitCheckLimit (or until ctx is
// done). Only in that last case can a write reported as failed stand. fn
// runs again only after PostgreSQL reported a serialisation failure or a
// deadlock, which it rolled back; never after a COMMIT whose outcome is
// unknown.
//
// The account's writers are serialised: on PostgreSQL by locking the account
// row first (SELECT ... FOR UPDATE), on SQLite by BEGIN IMMEDIATE, which takes
// the database's single write lock. Event positions are taken from the
// account's counter under that lock, so they follow commit order. fn must
// not call Write itself: on SQLite that waits forever for the one write
// connection.
func (d *DB) Write(ctx context.Context, accountID string, fn func(tx directory.Tx) error) error {
	return d.writeTxRef(ctx, func(stx *sql.Tx) (commitRef, error) {
		// On PostgreSQL the lock also returns the transaction's id, for
		// commitFailed, in the same round trip. It costs nothing more: a
		// row lock assigns the id anyway.
		lock := `SELECT '' FROM accounts WHERE id = ?`
		if d.dialect == Postgres {
			lock = `SELECT pg_current_xact_id()::text FROM accounts WHERE id = ? FOR UPDATE`
		}
		q := inTx(d.wstmts, stx)
		var ref commitRef
		err := q.QueryRowContext(ctx, d.rebind(lock), accountID).Scan(&ref.xid)
		if err != nil {
			return ref, fmt.Errorf("lock account %q: %w", accountID, d.notFound(err))
		}
		t := &tx{d: d, ctx: ctx, tx: stx, q: q, account: accountID}
		err = fn(t)
		ref.event = t.event
		return ref, err
	})
}

// writeTx runs fn in a write transaction and commits when it returns nil. On
// PostgreSQL it runs fn again, up to maxAttempts times in all, when the
// database reports a serialisation failure or a deadlock. A COMMIT that
// fails with a connection error reads as directory.ErrUnavailable, whatever
// its outcome; Write settles that outcome (see writeTxRef).
func (d *DB) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return d.writeTxRef(ctx, func(stx *sql.Tx) (commitRef, error) {
		return commitRef{}, fn(stx)
	})
}

// writeTxRef is writeTx for an fn that also returns what identifies its
// transaction. With that, a COMMIT that fails with a connection error is
// settled by asking the database whether the transaction committed (see
// commitFailed).
func (d *DB) writeTxRef(ctx context.Context, fn func(*sql.Tx) (commitRef, error)) error {
	if d.wstmts != nil {
		// Statements the transaction ran before they were cached are
		// prepared once its connection is free again.
		defer d.wstmts.prepareWanted(ctx)
	}
	for attempt := 1; ; attempt++ {
		// A COMMIT whose outcome is unknown is never run again: it ends as
		// nil or as ErrUnavailable around a connection error, and only
		// PostgreSQL's own serialisation and deadlock errors, which come
		// with a rollback, are retryable.
		err := d.writeOnce(ctx, fn)
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return err
		}
		d.log.Debug("retry transaction", "attempt", attempt, "error", err)

		// A short random pause lets the transaction that won go first.
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(10*time.Millisecond)))
		select {
		case <-ctx.Done():
			return fmt.Errorf("retry transaction: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
}

func (d *DB) writeOnce(ctx context.Context, fn func(*sql.Tx) (commitRef, error)) (err error) {
	stx, err := d.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", d.mapErr(err))
	}
	defer func() {
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	ref, err := fn(stx)
	if err != nil {
		return err
	}
	if err := d.commit(stx); err != nil {
		// A COMMIT that failed ended the transaction, which makes this a
		// no-op; it ends one whose COMMIT was never sent, as the server
		// does on noticing that its connection is gone.
		_ = stx.Rollback()
		return d.commitFailed(ctx, ref, err)
	}
	return nil
}

// tx is a directory.Tx on one account.
type tx struct {
	d       *DB
	ctx     context.Context
	tx      *sql.Tx
	q       querier // tx through the write pool's statement cache
	account string
	event   string // id of the first event appended, which commitFailed seeks
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	res, err := t.q.ExecContext(t.ctx, t.d.rebind(query), args...)
	return res, t.d.mapErr(err)
}

// Resource reads a resource inside the transaction, or returns an error
// wrapping directory.ErrNotFound.
func (t *tx) Resource(kind directory.Kind, id string) (*directory.Resource, error) {
	return t.d.resource(t.ctx, t.q, t.account, kind, id)
}

// Insert stores a new resource under the transaction's account. It returns
// an error wrapping directory.ErrConflict when the id is taken or, for a
// user, when the userName is taken whatever its case. A zero Version becomes
// 1; Created and Modified are stored to the microsecond and set so in r.
func (t *tx) Insert(r *directory.Resource) error {
	if _, err := tableOf(r.Kind); err != nil {
		return err
	}
	t.prepare(r)
	if r.Version == 0 {
		r.Version = 1
	}
	doc, err := encodeDoc(r.Doc)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", r.Kind, r.ID, err)
	}

	// ON CONFLICT DO NOTHING reports a taken id or userName as no row
	// inserted, without aborting a PostgreSQL transaction the way a unique
	// violation would, so fn may go on after ErrConflict.
	var res sql.Result
	if r.Kind == directory.KindUser {
		res, err = t.exec(`INSERT INTO users (account_id, id, user_name, user_name_fold,
			external_id, email, email_fold, display_name, active, version, created, modified,
			doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			t.account, r.ID, r.UserName, fold(r.UserName), nullString(r.ExternalID),
			nullString(r.Email), nullString(fold(r.Email)), nullString(r.DisplayName),
			r.Active, r.Version, t.d.ts(r.Created), t.d.ts(r.Modified), doc)
	} else {
		res, err = t.exec(`INSERT INTO groups (account_id, id, display_name,
			display_name_fold, external_id, version, created, modified, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			t.account, r.ID, r.DisplayName, fold(r.DisplayName), nullString(r.ExternalID),
			r.Version, t.d.ts(r.Created), t.d.ts(r.Modified), doc)
	}
	if err != nil {
		return fmt.Errorf("insert %s %q: %w", r.Kind, r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("insert %s %q: %w", r.Kind, r.ID, directory.ErrConflict)
	}
	return t.writeEmails(r, false)
}

// prepare puts r in the transaction's account and rounds its times to what
// the store keeps.
func (t *tx) prepare(r *directory.Resource) {
	r.AccountID = t.account
	now := time.Now()
	if r.Created.IsZero() {
		r.Created = now
	}
	if r.Modified.IsZero() {
		r.Modified = now
	}
	r.Created, r.Modified = stored(r.Created), stored(r.Modified)
	if r.Kind == directory.KindGroup {
		r.UserName, r.Email, r.Active = "", "", true
	}
}

// Update stores r over the stored resource when that one's version is
// expect. It returns an error wrapping directory.ErrNotFound when there is
// no such resource, directory.ErrVersionMismatch when its version is not
// expect, and directory.ErrConflict as Insert does. r.Version is stored as
// given (the service sets expect+1); Created keeps its stored value.
func (t *tx) Update(r *directory.Resource, expect int64) error {
	if _, err := tableOf(r.Kind); err != nil {
		return err
	}
	t.prepare(r)
	doc, err := encodeDoc(r.Doc)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", r.Kind, r.ID, err)
	}

	if r.Kind == directory.KindUser {
		// A missing user or a stale version is reported as such before
		// a userName conflict.
		if err := t.checkVersion(r, expect); err != nil {
			return err
		}
		if err := t.userNameFree(r); err != nil {
			return err
		}
	}
	var query string
	var args []any
	if r.Kind == directory.KindUser {
		query = `UPDATE users SET user_name = ?, user_name_fold = ?, external_id = ?,
			email = ?, email_fold = ?, display_name = ?, active = ?, version = ?, modified = ?,
			doc = ? WHERE account_id = ? AND id = ? AND version = ? RETURNING created`
		args = []any{r.UserName, fold(r.UserName), nullString(r.ExternalID),
			nullString(r.Email), nullString(fold(r.Email)), nullString(r.DisplayName),
			r.Active, r.Version, t.d.ts(r.Modified), doc, t.account, r.ID, expect}
	} else {
		query = `UPDATE groups SET display_name = ?, display_name_fold = ?,
			external_id = ?, version = ?, modified = ?, doc = ?
			WHERE account_id = ? AND id = ? AND version = ? RETURNING created`
		args = []any{r.DisplayName, fold(r.DisplayName), nullString(r.ExternalID),
			r.Version, t.d.ts(r.Modified), doc, t.account, r.ID, expect}
	}
	err = t.q.QueryRowContext(t.ctx, t.d.rebind(query), args...).Scan(scanTime(&r.Created))
	if errors.Is(err, sql.ErrNoRows) {
		return t.whyNotUpdated(r, expect)
	}
	if err != nil {
		return fmt.Errorf("update %s %q: %w", r.Kind, r.ID, t.d.mapErr(err))
	}
	return t.writeEmails(r, true)
}

// userNameFree returns an error wrapping directory.ErrConflict when another
// user of the account has r's userName, whatever its case. The account's
// writers are serialised, so the check cannot race; it spares PostgreSQL the
// aborted transaction of a unique violation, which the index still backs.
func (t *tx) userNameFree(r *directory.Resource) error {
	var other string
	err := t.q.QueryRowContext(t.ctx, t.d.rebind(`SELECT id FROM users
		WHERE account_id = ? AND user_name_fold = ? AND id <> ?`),
		t.account, fold(r.UserName), r.ID).Scan(&other)
	switch {
	case err == nil:
		return fmt.Errorf("update user %q: userName %q is taken by %q: %w",
			r.ID, r.UserName, other, directory.ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("update user %q: %w", r.ID, t.d.mapErr(err))
	}
	return nil
}

// whyNotUpdated tells a missing resource from one at another version.
func (t *tx) whyNotUpdated(r *directory.Resource, expect int64) error {
	if err := t.checkVersion(r, expect); err != nil {
		return err
	}
	return fmt.Errorf("update %s %q: no row changed", r.Kind, r.ID)
}

// checkVersion returns an error wrapping directory.ErrNotFound when r is not
// stored, and directory.ErrVersionMismatch when its stored version is not
// expect.
func (t *tx) checkVersion(r *directory.Resource, expect int64) error {
	var version int64
	err := t.q.QueryRowContext(t.ctx, t.d.rebind(`SELECT version FROM `+
		mustTable(r.Kind).name+` WHERE account_id = ? AND id = ?`), t.account, r.ID).
		Scan(&version)
	if err != nil {
		return fmt.Errorf("update %s %q: %w", r.Kind, r.ID, t.d.notFound(err))
	}
	if version != expect {
		return fmt.Errorf("update %s %q: stored version is %d, not %d: %w",
			r.Kind, r.ID, version, expect, directory.ErrVersionMismatch)
	}
	return nil
}

func mustTable(kind directory.Kind) table {
	t, err := tableOf(kind)
	if err != nil {
		panic(err)
	}
	return t
}

// rowMarks returns n parenthesised rows of cols placeholders each.
func rowMarks(n, cols int) string {
	row := "(" + marks(cols) + ")"
	b := make([]byte, 0, n*(len(row)+2))
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, row...)
	}
	return string(b)
}

// Delete removes a resource and every membership it takes part in, or
// returns an error wrapping directory.ErrNotFound.
func (t *tx) Delete(kind directory.Kind, id string) error {
	tb, err := tableOf(kind)
	if err != nil {
		return err
	}
	// A group's own memberships (as the group) go by cascade; a user's
	// emails too.
	res, err := t.exec(`DELETE FROM `+tb.name+` WHERE account_id = ? AND id = ?`,
		t.account, id)
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete %s %q: %w", kind, id, directory.ErrNotFound)
	}
	_, err = t.exec(`DELETE FROM memberships WHERE account_id = ? AND member_id = ?
		AND member_type = ?`, t.account, id, string(kind))
	if err != nil {
		return fmt.Errorf("remove %s %q from its groups: %w", kind, id, err)
	}
	return nil
}

// Missing returns those of ids that name no resource of kind in the
// account, in the order given, each once.
func (t *tx) Missing(kind directory.Kind, ids []string) ([]string, error) {
	tb, err := tableOf(kind)
	if err != nil {
		return nil, err
	}
	ids = dedup(ids)
	found := make(map[string]bool, len(ids))
	for _, part := range chunks(ids, maxInList) {
		rows, err := t.q.QueryContext(t.ctx, t.d.rebind(`SELECT id FROM `+tb.name+
			` WHERE account_id = ? AND id IN (`+marks(len(part))+`)`),
			append([]any{t.account}, anys(part)...)...)
		if err != nil {
			return nil, fmt.Errorf("look up %s ids: %w", kind, t.d.mapErr(err))
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up %s ids: %w", kind, err)
			}
			found[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up %s ids: %w", kind, t.d.mapErr(err))
		}
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
