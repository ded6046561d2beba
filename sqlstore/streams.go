package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

// missingStreams selects the streams that enabled endpoints lack. A new
// stream starts after the last event older than its endpoint.
const missingStreams = `
	FROM webhook_endpoints e
	JOIN accounts a ON e.account_id IS NULL OR e.account_id = a.id
	WHERE e.enabled AND NOT EXISTS (SELECT 1 FROM webhook_streams s
		WHERE s.endpoint_id = e.id AND s.account_id = a.id)`

// EnsureStreams implements directory.DeliveryStore. It looks on the read
// pool first, so that the common case, nothing missing, takes no write
// lock.
func (d *DB) EnsureStreams(ctx context.Context) error {
	var missing bool
	err := d.rdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 `+missingStreams+`)`).
		Scan(&missing)
	if err != nil {
		return fmt.Errorf("look for missing streams: %w", d.mapErr(err))
	}
	if !missing {
		return nil
	}
	_, err = d.wdb.ExecContext(ctx, `INSERT INTO webhook_streams
		(endpoint_id, account_id, position, attempts)
		SELECT e.id, a.id, COALESCE((SELECT MAX(ev.position) FROM events ev
			WHERE ev.account_id = a.id AND ev.time < e.created_at), 0), 0
		`+missingStreams+`
		ON CONFLICT (endpoint_id, account_id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("create streams: %w", d.mapErr(err))
	}
	return nil
}

const streamColumns = `s.endpoint_id, s.account_id, s.position, s.attempts,
	s.first_failure, s.retry_at, s.lease_owner, s.lease_until`

// streamReturning is streamColumns for a RETURNING clause, where SQLite
// takes no table qualifier.
const streamReturning = `endpoint_id, account_id, position, attempts,
	first_failure, retry_at, lease_owner, lease_until`

func scanStream(row interface{ Scan(...any) error }) (*directory.Stream, error) {
	var (
		s     directory.Stream
		owner sql.NullString
	)
	err := row.Scan(&s.EndpointID, &s.AccountID, &s.Position, &s.Attempts,
		scanTimePtr(&s.FirstFailure), scanTimePtr(&s.RetryAt), &owner, scanTimePtr(&s.LeaseUntil))
	s.LeaseOwner = owner.String
	return &s, err
}

func (d *DB) queryStreams(ctx context.Context, query string,
	args ...any) ([]*directory.Stream, error) {
	rows, err := d.rdb.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, d.mapErr(err)
	}
	defer rows.Close()
	var out []*directory.Stream
	for rows.Next() {
		s, err := scanStream(rows)
		if err != nil {
			return nil, fmt.Errorf("scan stream: %w", err)
		}
		out = append(out, s)
	}
	return out, d.mapErr(rows.Err())
}

// DueStreams implements directory.DeliveryStore.
func (d *DB) DueStreams(ctx context.Context, now time.Time,
	limit int) ([]*directory.Stream, error) {
	out, err := d.queryStreams(ctx, `SELECT `+streamColumns+`
		FROM webhook_streams s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		WHERE e.enabled
		AND (s.lease_owner IS NULL OR s.lease_until < ?)
		AND (s.retry_at IS NULL OR s.retry_at <= ?)
		AND EXISTS (SELECT 1 FROM events ev
			WHERE ev.account_id = s.account_id AND ev.position > s.position)
		ORDER BY s.lease_until IS NOT NULL, s.lease_until, s.endpoint_id, s.account_id
		LIMIT ?`, d.ts(now), d.ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list due streams: %w", err)
	}
	return out, nil
}

// Streams implements directory.DeliveryStore.
func (d *DB) Streams(ctx context.Context, endpointID string) ([]*directory.Stream, error) {
	out, err := d.queryStreams(ctx, `SELECT `+streamColumns+` FROM webhook_streams s
		WHERE s.endpoint_id = ? ORDER BY s.account_id`, endpointID)
	if err != nil {
		return nil, fmt.Errorf("list streams of endpoint %q: %w", endpointID, err)
	}
	return out, nil
}

// LeaseStream implements directory.DeliveryStore. The conditional UPDATE is
// the whole protocol: of two replicas racing for a free stream, the
// database lets one UPDATE match the row and the other match nothing.
func (d *DB) LeaseStream(ctx context.Context, endpointID, accountID, owner string,
	now, until time.Time) (*directory.Stream, error) {
	row := d.wdb.QueryRowContext(ctx, d.rebind(`UPDATE webhook_streams
		SET lease_owner = ?, lease_until = ?
		WHERE endpoint_id = ? AND account_id = ?
		AND (lease_owner IS NULL OR lease_until < ?)
		RETURNING `+streamReturning),
		owner, d.ts(until), endpointID, accountID, d.ts(now))
	s, err := scanStream(row)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lease stream %q/%q: %w", endpointID, accountID, d.mapErr(err))
	}

	// No row matched: tell a busy stream from a missing one.
	var one int
	err = d.rdb.QueryRowContext(ctx, d.rebind(`SELECT 1 FROM webhook_streams
		WHERE endpoint_id = ? AND account_id = ?`), endpointID, accountID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lease stream %q/%q: %w", endpointID, accountID,
			directory.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lease stream %q/%q: %w", endpointID, accountID, d.mapErr(err))
	}
	return nil, directory.ErrLeaseLost
}

// AdvanceStream implements directory.DeliveryStore.
func (d *DB) AdvanceStream(ctx context.Context, s *directory.Stream, position int64,
	until time.Time) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_streams
		SET position = ?, attempts = 0, first_failure = NULL, retry_at = NULL,
		lease_until = ?
		WHERE endpoint_id = ? AND account_id = ? AND lease_owner = ?`),
		position, d.ts(until), s.EndpointID, s.AccountID, s.LeaseOwner)
	if err := d.leaseHeld(res, err, "advance", s); err != nil {
		return err
	}
	until = stored(until)
	s.Position, s.Attempts, s.FirstFailure, s.RetryAt = position, 0, nil, nil
	s.LeaseUntil = &until
	return nil
}

// RetryStream implements directory.DeliveryStore.
func (d *DB) RetryStream(ctx context.Context, s *directory.Stream) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_streams
		SET position = ?, attempts = ?, first_failure = ?, retry_at = ?, lease_owner = NULL
		WHERE endpoint_id = ? AND account_id = ? AND lease_owner = ?`),
		s.Position, s.Attempts, d.tsPtr(s.FirstFailure), d.tsPtr(s.RetryAt),
		s.EndpointID, s.AccountID, s.LeaseOwner)
	return d.leaseHeld(res, err, "schedule retry of", s)
}

// ReleaseStream implements directory.DeliveryStore.
func (d *DB) ReleaseStream(ctx context.Context, s *directory.Stream) error {
	_, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_streams SET lease_owner = NULL
		WHERE endpoint_id = ? AND account_id = ? AND lease_owner = ?`),
		s.EndpointID, s.AccountID, s.LeaseOwner)
	if err != nil {
		return fmt.Errorf("release stream %q/%q: %w", s.EndpointID, s.AccountID, d.mapErr(err))
	}
	return nil
}

func (d *DB) leaseHeld(res sql.Result, err error, op string, s *directory.Stream) error {
	if err != nil {
		return fmt.Errorf("%s stream %q/%q: %w", op, s.EndpointID, s.AccountID, d.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s stream %q/%q: %w", op, s.EndpointID, s.AccountID, d.mapErr(err))
	}
	if n == 0 {
		return directory.ErrLeaseLost
	}
	return nil
}

// ResetStream implements directory.DeliveryStore.
func (d *DB) ResetStream(ctx context.Context, endpointID, accountID string, position int64) error {
	e, err := d.Endpoint(ctx, endpointID)
	if err != nil {
		return err
	}
	if e.AccountID != "" && e.AccountID != accountID {
		return fmt.Errorf("reset stream: endpoint %q does not take account %q: %w",
			endpointID, accountID, directory.ErrNotFound)
	}
	_, err = d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO webhook_streams
		(endpoint_id, account_id, position, attempts) VALUES (?, ?, ?, 0)
		ON CONFLICT (endpoint_id, account_id) DO UPDATE SET position = excluded.position,
		attempts = 0, first_failure = NULL, retry_at = NULL, lease_owner = NULL`),
		endpointID, accountID, position)
	if err != nil {
		// A foreign key failure here means the account does not exist.
		return fmt.Errorf("reset stream %q/%q: %w", endpointID, accountID, d.mapErr(err))
	}
	return nil
}

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

// Deliveries implements directory.DeliveryStore.
func (d *DB) Deliveries(ctx context.Context, endpointID string, before int64,
	limit int) ([]*directory.Delivery, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.rdb.QueryContext(ctx, d.rebind(`SELECT id, endpoint_id, account_id,
		event_id, position, attempt, status_code, error, latency_us, time, next_attempt
		FROM webhook_deliveries WHERE endpoint_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`), endpointID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %q: %w", endpointID, d.mapErr(err))
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
