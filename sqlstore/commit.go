package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// commitCheckLimit bounds how long a write asks PostgreSQL what became of a
// transaction whose COMMIT failed with a connection error: long enough for a
// crashed server to restart and recover, or for a quick failover, and short
// enough that the client, which waits meanwhile, still gets its answer. A
// variable so that tests can shorten it.
var commitCheckLimit = 10 * time.Second

// Pauses between two questions about a transaction's status: doubling from
// the first to the longest.
const (
	firstStatusPause   = 50 * time.Millisecond
	longestStatusPause = time.Second
)

// A transaction's status as pg_xact_status reports it, and xactUnknown for
// its NULL (a transaction too old to tell) or for an id the server never
// issued (a failover to a standby that had not received it, say).
const (
	xactCommitted  = "committed"
	xactAborted    = "aborted"
	xactInProgress = "in progress"
	xactUnknown    = "unknown"
)

// commitFailed returns what a write reports when its COMMIT failed with
// err; xid is the transaction's PostgreSQL id, or "" when not known.
//
// A connection error at COMMIT leaves the outcome open: the server may
// have made the commit durable and then died, or lost the connection,
// before acknowledging it. Reporting that as ErrUnavailable would have the
// client retry a change that stands. So, given xid, commitFailed asks the
// server (on another connection of the pool) for the transaction's status,
// with a growing pause while it cannot be reached or still runs the
// transaction, for up to commitCheckLimit and never past ctx. It returns nil
// when the transaction committed, and an error wrapping
// directory.ErrUnavailable when it aborted, when the server no longer knows
// it, or when no answer came in time. That last case is the one where a
// write reported as failed may yet stand.
//
// Other errors, on SQLite or from writes without xid, are wrapped as they
// are: SQLite commits within the process, and a PostgreSQL error other
// than a connection's means the server rolled back.
func (d *DB) commitFailed(ctx context.Context, xid string, err error) error {
	if xid == "" || !isUnavailable(err) {
		return fmt.Errorf("commit: %w", d.mapErr(err))
	}
	start := time.Now()
	status, serr := d.xactStatus(ctx, xid)
	waited := time.Since(start).Round(time.Millisecond)
	log := d.log.With("xact_id", xid, "commit_error", err, "waited", waited)

	switch status {
	case xactCommitted:
		log.Warn("commit confirmed after its connection failed")
		return nil
	case "":
		log.Error("commit outcome unknown: reporting the database unavailable",
			"error", serr)
		return fmt.Errorf("commit transaction %s: outcome unknown after %s: %w",
			xid, waited, d.mapErr(err))
	}
	log.Info("commit failed with its connection; the transaction did not commit",
		"status", status)
	return fmt.Errorf("commit transaction %s (%s): %w", xid, status, d.mapErr(err))
}

// xactStatus asks PostgreSQL for the status of transaction xid until it
// learns whether the transaction committed, commitCheckLimit has passed or
// ctx is done. It returns xactCommitted, xactAborted or xactUnknown, or ""
// and the last error when no answer came: the server stayed unreachable,
// kept the transaction in progress, or failed the question for another
// reason, which asking again would not mend.
func (d *DB) xactStatus(ctx context.Context, xid string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commitCheckLimit)
	defer cancel()

	pause := firstStatusPause
	for {
		status, err := d.queryXactStatus(ctx, xid)
		switch {
		case err == nil && status != xactInProgress:
			return status, nil
		case err == nil:
			// The server has not finished the COMMIT, or has not yet
			// noticed that the connection which would send it is gone.
			err = fmt.Errorf("transaction %s is still in progress", xid)
		case !isUnavailable(err):
			return "", err
		}

		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, longestStatusPause)
	}
}

// queryXactStatus asks the server once for the status of transaction xid.
func (d *DB) queryXactStatus(ctx context.Context, xid string) (string, error) {
	if err := d.fault(faultStatus); err != nil {
		return "", fmt.Errorf("read status of transaction %s: %w", xid, err)
	}

	var status sql.NullString
	err := d.wdb.QueryRowContext(ctx, `SELECT pg_xact_status($1::xid8)`, xid).Scan(&status)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "22023" {
		// "transaction ID ... is in the future": this server never issued
		// the id, so the transaction did not commit here.
		return xactUnknown, nil
	}
	if err != nil {
		return "", fmt.Errorf("read status of transaction %s: %w", xid, err)
	}
	if !status.Valid {
		return xactUnknown, nil
	}
	return status.String, nil
}

// faultPoint names a point of the commit path where a test can make it
// fail.
type faultPoint int

const (
	// faultBeforeCommit: the error stands for COMMIT's, which is not sent;
	// the transaction is rolled back, as the server would when it noticed
	// the connection gone.
	faultBeforeCommit faultPoint = iota
	// faultAfterCommit: COMMIT succeeded, and the error stands for a lost
	// acknowledgement.
	faultAfterCommit
	// faultStatus: the error stands for that of one status query, which is
	// not sent.
	faultStatus
)

// faultHook makes the commit path of one DB fail where fail returns an
// error.
type faultHook struct {
	db   *DB
	fail func(faultPoint) error
}

// commitFaults holds the hook a test installed (see export_commit_test.go);
// it is nil outside tests.
var commitFaults atomic.Pointer[faultHook]

// fault returns the error a test injects for d at point p, or nil.
func (d *DB) fault(p faultPoint) error {
	h := commitFaults.Load()
	if h == nil || h.db != d {
		return nil
	}
	return h.fail(p)
}

// commit commits stx, with the faults a test injects around it.
func (d *DB) commit(stx *sql.Tx) error {
	if err := d.fault(faultBeforeCommit); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return err
	}
	return d.fault(faultAfterCommit)
}
