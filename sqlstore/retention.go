package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// pruneMark is what one batch of PruneEvents deleted of one account.
type pruneMark struct {
	count   int
	through int64     // the highest position
	time    time.Time // the latest event time
}

// PruneEvents implements directory.WebhookStore. One transaction deletes at
// most batch events, found through events_time, and raises the pruned marks
// of their accounts, so that no reader sees events gone without the mark
// that tells it so (see Events).
func (d *DB) PruneEvents(ctx context.Context, olderThan time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("prune events: batch %d is not positive", batch)
	}
	var n int
	err := d.writeTx(ctx, func(tx *sql.Tx) error {
		marks, err := d.deleteEvents(ctx, tx, olderThan, batch)
		if err != nil {
			return err
		}
		n = 0
		for _, m := range marks {
			n += m.count
		}

		// Accounts in a fixed order, so that two replicas pruning at once
		// rarely deadlock; writeTx runs the batch again when they do.
		ids := make([]string, 0, len(marks))
		for id := range marks {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			m := marks[id]
			_, err := tx.ExecContext(ctx, d.rebind(`UPDATE accounts SET pruned_through = ?
				WHERE id = ? AND pruned_through < ?`), m.through, id, m.through)
			if err != nil {
				return fmt.Errorf("mark account %q pruned: %w", id, d.mapErr(err))
			}
			_, err = tx.ExecContext(ctx, d.rebind(`UPDATE accounts SET pruned_time = ?
				WHERE id = ? AND (pruned_time IS NULL OR pruned_time < ?)`),
				d.ts(m.time), id, d.ts(m.time))
			if err != nil {
				return fmt.Errorf("mark account %q pruned: %w", id, d.mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}

// deleteEvents deletes up to batch events older than olderThan and returns
// what went, by account.
func (d *DB) deleteEvents(ctx context.Context, tx *sql.Tx, olderThan time.Time,
	batch int) (map[string]*pruneMark, error) {
	rows, err := tx.QueryContext(ctx, d.rebind(`DELETE FROM events
		WHERE (account_id, position) IN
			(SELECT account_id, position FROM events WHERE time < ? LIMIT ?)
		RETURNING account_id, position, time`), d.ts(olderThan), batch)
	if err != nil {
		return nil, fmt.Errorf("delete events: %w", d.mapErr(err))
	}
	defer rows.Close()
	marks := map[string]*pruneMark{}
	for rows.Next() {
		var (
			id  string
			pos int64
			at  time.Time
		)
		if err := rows.Scan(&id, &pos, scanTime(&at)); err != nil {
			return nil, fmt.Errorf("scan deleted event: %w", err)
		}
		m := marks[id]
		if m == nil {
			m = &pruneMark{}
			marks[id] = m
		}
		m.count++
		m.through = max(m.through, pos)
		if at.After(m.time) {
			m.time = at
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete events: %w", d.mapErr(err))
	}
	return marks, nil
}

// prunedThrough returns the highest event position of an account that the
// retention deleted, 0 when none or when there is no such account.
func (d *DB) prunedThrough(ctx context.Context, accountID string) (int64, error) {
	var through int64
	err := d.reader().QueryRowContext(ctx,
		d.rebind(`SELECT pruned_through FROM accounts WHERE id = ?`), accountID).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read pruned mark of %q: %w", accountID, d.mapErr(err))
	}
	return through, nil
}
