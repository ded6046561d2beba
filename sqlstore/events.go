package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// maxEventRows bounds the rows of one event insert (11 parameters each).
const maxEventRows = 200

// DefaultEventPage is how many events Events returns when asked for limit
// <= 0.
const DefaultEventPage = 1000

// Append adds events to the account's outbox and assigns their positions,
// which continue the account's counter in the order given. An event without
// an ID gets a new UUID and one without a Time gets the current time;
// AccountID is set to the transaction's account.
func (t *tx) Append(events ...*directory.Event) error {
	if len(events) == 0 {
		return nil
	}

	// Taking n positions moves the counter under the account's write lock,
	// so a later commit can never hold a lower position.
	var last int64
	err := t.q.QueryRowContext(t.ctx, t.d.rebind(`UPDATE accounts SET event_seq = event_seq + ?
		WHERE id = ? RETURNING event_seq`), len(events), t.account).Scan(&last)
	if err != nil {
		return fmt.Errorf("take event positions: %w", t.d.notFound(err))
	}
	first := last - int64(len(events)) + 1
	now := time.Now()
	for i, e := range events {
		e.AccountID, e.Position = t.account, first+int64(i)
		if e.ID == "" {
			e.ID = uuid.NewString()
		}
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = stored(e.Time)
	}
	if t.event == "" {
		t.event = events[0].ID
	}

	for _, part := range chunks(events, maxEventRows) {
		args := make([]any, 0, 11*len(part))
		for _, e := range part {
			var changed any
			if e.Changed != nil {
				b, err := json.Marshal(e.Changed)
				if err != nil {
					return fmt.Errorf("encode event %q: %w", e.ID, err)
				}
				changed = string(b)
			}
			var data any
			if len(e.Data) > 0 {
				data = string(e.Data)
			}
			args = append(args, e.AccountID, e.Position, e.ID, e.Type, t.d.ts(e.Time),
				e.Client, string(e.ResourceType), e.ResourceID, e.Version, changed, data)
		}
		_, err := t.exec(`INSERT INTO events (account_id, position, id, type, time, client,
			resource_type, resource_id, version, changed, data) VALUES `+
			rowMarks(len(part), 11), args...)
		if err != nil {
			return fmt.Errorf("append events: %w", err)
		}
	}
	return nil
}

// Events returns up to limit events of an account with positions greater
// than after, in position order; limit <= 0 means DefaultEventPage. Positions
// follow commit order (see Write), so a reader that goes on from the last
// position it saw never misses an event. It returns a
// *directory.CursorExpiredError when the retention deleted an event after
// after.
func (d *DB) Events(ctx context.Context, accountID string, after int64,
	limit int) ([]*directory.Event, error) {
	evs, err := d.readEvents(ctx, accountID, after, limit)
	if err != nil {
		return nil, err
	}

	// The mark is read after the events: PruneEvents raises it in the
	// transaction that deletes, so an event that the first read missed
	// because it was gone has raised the mark by the time of the second.
	through, err := d.prunedThrough(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if after < through {
		return nil, &directory.CursorExpiredError{AccountID: accountID, After: after,
			PrunedThrough: through}
	}
	return evs, nil
}

func (d *DB) readEvents(ctx context.Context, accountID string, after int64,
	limit int) ([]*directory.Event, error) {
	if limit <= 0 {
		limit = DefaultEventPage
	}
	rows, err := d.reader().QueryContext(ctx, d.rebind(`SELECT position, id, type, time,
		client, resource_type, resource_id, version, changed, data FROM events
		WHERE account_id = ? AND position > ? ORDER BY position LIMIT ?`),
		accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", d.mapErr(err))
	}
	defer rows.Close()
	out := []*directory.Event{}
	for rows.Next() {
		e := &directory.Event{AccountID: accountID}
		var changed, data sql.Null[[]byte]
		err := rows.Scan(&e.Position, &e.ID, &e.Type, scanTime(&e.Time), &e.Client,
			&e.ResourceType, &e.ResourceID, &e.Version, &changed, &data)
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		if changed.Valid {
			if err := json.Unmarshal(changed.V, &e.Changed); err != nil {
				return nil, fmt.Errorf("decode event %q: %w", e.ID, err)
			}
		}
		if data.Valid {
			e.Data = json.RawMessage(data.V)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", d.mapErr(err))
	}
	return out, nil
}
