package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/directory"
)

// missingStreams selects the streams that enabled endpoints lack.
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
	// A new stream starts after the last event older than its endpoint,
	// or after the pruned events when they were all older: those were never
	// the endpoint's to miss.
	const older = `COALESCE((SELECT MAX(ev.position) FROM events ev
		WHERE ev.account_id = a.id AND ev.time < e.created_at), 0)`
	_, err = d.wdb.ExecContext(ctx, `INSERT INTO webhook_streams
		(endpoint_id, account_id, position, attempts)
		SELECT e.id, a.id, CASE WHEN a.pruned_time < e.created_at
			AND a.pruned_through > `+older+` THEN a.pruned_through ELSE `+older+` END, 0
		`+missingStreams+`
		ON CONFLICT (endpoint_id, account_id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("create streams: %w", d.mapErr(err))
	}
	return nil
}

const streamColumns = `s.endpoint_id, s.account_id, s.position, s.attempts,
	s.first_failure, s.retry_at, s.lease_owner, s.lease_until, s.skipped_through,
	s.skipped_at`

// streamReturning is streamColumns for a RETURNING clause, where SQLite
// takes no table qualifier.
const streamReturning = `endpoint_id, account_id, position, attempts,
	first_failure, retry_at, lease_owner, lease_until, skipped_through, skipped_at`

func scanStream(row interface{ Scan(...any) error }) (*directory.Stream, error) {
	var (
		s     directory.Stream
		owner sql.NullString
	)
	err := row.Scan(&s.EndpointID, &s.AccountID, &s.Position, &s.Attempts,
		scanTimePtr(&s.FirstFailure), scanTimePtr(&s.RetryAt), &owner, scanTimePtr(&s.LeaseUntil),
		&s.SkippedThrough, scanTimePtr(&s.SkippedAt))
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

// DueStreams implements directory.DeliveryStore. A stream that the
// retention has passed is due even without an event to send, so that its
// receiver hears of the gap as soon as it can.
func (d *DB) DueStreams(ctx context.Context, now time.Time,
	limit int) ([]*directory.Stream, error) {
	out, err := d.queryStreams(ctx, `SELECT `+streamColumns+`
		FROM webhook_streams s JOIN webhook_endpoints e ON e.id = s.endpoint_id
		JOIN accounts a ON a.id = s.account_id
		WHERE e.enabled
		AND (s.lease_owner IS NULL OR s.lease_until < ?)
		AND (s.retry_at IS NULL OR s.retry_at <= ?)
		AND (s.position < a.pruned_through OR EXISTS (SELECT 1 FROM events ev
			WHERE ev.account_id = s.account_id AND ev.position > s.position))
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

// SkipStream implements directory.DeliveryStore.
func (d *DB) SkipStream(ctx context.Context, s *directory.Stream, through int64, at,
	until time.Time) error {
	res, err := d.wdb.ExecContext(ctx, d.rebind(`UPDATE webhook_streams
		SET position = ?, attempts = 0, first_failure = NULL, retry_at = NULL,
		lease_until = ?, skipped_through = ?, skipped_at = ?
		WHERE endpoint_id = ? AND account_id = ? AND lease_owner = ?`),
		through, d.ts(until), through, d.ts(at), s.EndpointID, s.AccountID, s.LeaseOwner)
	if err := d.leaseHeld(res, err, "skip", s); err != nil {
		return err
	}
	at, until = stored(at), stored(until)
	s.Position, s.Attempts, s.FirstFailure, s.RetryAt = through, 0, nil, nil
	s.LeaseUntil, s.SkippedThrough, s.SkippedAt = &until, through, &at
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
	// The position is raised to the account's pruned mark in the same
	// statement, so that a prune between a read and the write cannot leave
	// the stream below it.
	res, err := d.wdb.ExecContext(ctx, d.rebind(`INSERT INTO webhook_streams
		(endpoint_id, account_id, position, attempts)
		SELECT ?, a.id, CASE WHEN a.pruned_through > ? THEN a.pruned_through ELSE ? END, 0
		FROM accounts a WHERE a.id = ?
		ON CONFLICT (endpoint_id, account_id) DO UPDATE SET position = excluded.position,
		attempts = 0, first_failure = NULL, retry_at = NULL, lease_owner = NULL,
		skipped_through = 0, skipped_at = NULL`),
		endpointID, position, position, accountID)
	return d.affected(res, err, "reset stream of account", accountID)
}
