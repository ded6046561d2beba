package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

// RecordDelivery implements directory.DeliveryStore.
func (d *DB) RecordDelivery(ctx context.Context, del *directory.Delivery) error {
	del.Time = stored(del.Time)
	err := d.wdb.QueryRowContext(ctx, d.rebind(`INSERT INTO webhook_deliveries
		(endpoint_id, account_id, event_id, position, attempt, status_code, error,
		latency_us, time, next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`),
		del.EndpointID, nullString(del.AccountID), del.EventID, del.Position, del.Attempt,
		del.StatusCode, del.Error, del.Latency.Microseconds(), d.ts(del.Time),
		d.tsPtr(del.NextAttempt)).Scan(&del.ID)
	if err != nil {
		return fmt.Errorf("record delivery of event %q: %w", del.EventID, d.mapErr(err))
	}
	return nil
}

// maxID stands for "no upper bound" in the before of a page of the log.
const maxID = 1<<63 - 1

const deliveryColumns = `id, endpoint_id, account_id, event_id, position, attempt,
	status_code, error, latency_us, time, next_attempt`

// Deliveries implements directory.DeliveryStore.
func (d *DB) Deliveries(ctx context.Context, endpointID string, before int64,
	limit int) ([]*directory.Delivery, error) {
	if before <= 0 {
		before = maxID
	}
	out, err := d.queryDeliveries(ctx, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries WHERE endpoint_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`, endpointID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %q: %w", endpointID, err)
	}
	return out, nil
}

// accountDeliveries is the query of AccountDeliveries, which reads the
// webhook_deliveries_endpoint_account index from the top down. Its last
// parameter is the filter on the status: every entry, or the failures only.
const accountDeliveries = `SELECT ` + deliveryColumns + `
	FROM webhook_deliveries WHERE endpoint_id = ? AND account_id = ? AND id < ?
	AND (? OR status_code < 200 OR status_code > 299)
	ORDER BY id DESC LIMIT ?`

// AccountDeliveries implements directory.DeliveryStore.
func (d *DB) AccountDeliveries(ctx context.Context,
	q directory.DeliveryQuery) ([]*directory.Delivery, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("list deliveries of %q: limit %d is not positive",
			q.EndpointID, q.Limit)
	}
	before := q.Before
	if before <= 0 {
		before = maxID
	}
	out, err := d.queryDeliveries(ctx, accountDeliveries, q.EndpointID, q.AccountID, before,
		!q.FailedOnly, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %q to account %q: %w", q.EndpointID,
			q.AccountID, err)
	}
	return out, nil
}

func (d *DB) queryDeliveries(ctx context.Context, query string,
	args ...any) ([]*directory.Delivery, error) {
	rows, err := d.rdb.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, d.mapErr(err)
	}
	defer rows.Close()
	var out []*directory.Delivery
	for rows.Next() {
		var (
			del     directory.Delivery
			account sql.NullString
			latency int64
		)
		err := rows.Scan(&del.ID, &del.EndpointID, &account, &del.EventID, &del.Position,
			&del.Attempt, &del.StatusCode, &del.Error, &latency, scanTime(&del.Time),
			scanTimePtr(&del.NextAttempt))
		if err != nil {
			return nil, fmt.Errorf("scan delivery: %w", err)
		}
		del.AccountID, del.Latency = account.String, time.Duration(latency)*time.Microsecond
		out = append(out, &del)
	}
	return out, d.mapErr(rows.Err())
}
