package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

// Bounds on one page of activity or of a resource's changes.
const (
	defaultActivityLimit = 50
	maxActivityLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultActivityLimit
	case n > maxActivityLimit:
		return maxActivityLimit
	}
	return n
}

// InsertActivity stores entries in one transaction and assigns their IDs.
// An entry naming an unknown account fails the batch with an error wrapping
// directory.ErrNotFound.
func (d *DB) InsertActivity(ctx context.Context, entries []*directory.ActivityEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return d.consoleTx(ctx, fmt.Sprintf("insert %d activity entries", len(entries)),
		func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, d.rebind(`INSERT INTO activity (account_id,
				time, client, method, path, status, scim_type, latency_ms, detail,
				request_id, token_id, addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, e := range entries {
				e.Time = stored(e.Time)
				err := stmt.QueryRowContext(ctx, e.AccountID, d.ts(e.Time), e.Client,
					e.Method, e.Path, e.Status, e.ScimType, e.Latency.Milliseconds(),
					e.Detail, e.RequestID, e.TokenID, e.Addr).Scan(&e.ID)
				if err != nil {
					return err
				}
			}
			return nil
		})
}

// Activity returns a page of an account's activity, newest first. A limit
// outside 1..1000 is taken as 50, or 1000 when larger.
func (d *DB) Activity(ctx context.Context, accountID string,
	q directory.ActivityQuery) ([]*directory.ActivityEntry, error) {
	query := `SELECT id, account_id, time, client, method, path, status, scim_type,
		latency_ms, detail, request_id, token_id, addr FROM activity WHERE account_id = ?`
	args := []any{accountID}
	if q.Before > 0 {
		query += ` AND id < ?`
		args = append(args, q.Before)
	}
	if q.FailuresOnly {
		query += ` AND status >= 400`
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, clampLimit(q.Limit))

	rows, err := d.rdb.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list activity: %w", d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.ActivityEntry
	for rows.Next() {
		e := &directory.ActivityEntry{}
		var ms int64
		err := rows.Scan(&e.ID, &e.AccountID, scanTime(&e.Time), &e.Client, &e.Method,
			&e.Path, &e.Status, &e.ScimType, &ms, &e.Detail, &e.RequestID, &e.TokenID,
			&e.Addr)
		if err != nil {
			return nil, fmt.Errorf("list activity: %w", err)
		}
		e.Latency = time.Duration(ms) * time.Millisecond
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list activity: %w", d.mapErr(err))
	}
	return out, nil
}

// PruneActivity deletes up to limit of the oldest entries older than
// before and returns how many it deleted.
func (d *DB) PruneActivity(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`DELETE FROM activity WHERE id IN
		(SELECT id FROM activity WHERE time < ? ORDER BY id LIMIT ?)`),
		d.ts(before), clampLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("prune activity: %w", d.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune activity: %w", d.mapErr(err))
	}
	return int(n), nil
}

// ResourceEvents returns up to limit of the events about one resource,
// newest first, without their Data.
func (d *DB) ResourceEvents(ctx context.Context, accountID string, kind directory.Kind,
	id string, limit int) ([]*directory.Event, error) {
	rows, err := d.rdb.QueryContext(ctx, d.rebind(`SELECT id, position, type, time, client,
		version, changed FROM events
		WHERE account_id = ? AND resource_id = ? AND resource_type = ?
		ORDER BY position DESC LIMIT ?`), accountID, id, string(kind), clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list events of %s %q: %w", kind, id, d.mapErr(err))
	}
	defer rows.Close()
	var out []*directory.Event
	for rows.Next() {
		e := &directory.Event{AccountID: accountID, ResourceType: kind, ResourceID: id}
		var changed []byte
		err := rows.Scan(&e.ID, &e.Position, &e.Type, scanTime(&e.Time), &e.Client,
			&e.Version, &changed)
		if err != nil {
			return nil, fmt.Errorf("list events of %s %q: %w", kind, id, err)
		}
		if len(changed) > 0 {
			if err := json.Unmarshal(changed, &e.Changed); err != nil {
				return nil, fmt.Errorf("decode changed attributes of event %q: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events of %s %q: %w", kind, id, d.mapErr(err))
	}
	return out, nil
}
