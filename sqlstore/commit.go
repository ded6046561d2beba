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

// commitRef identifies a write transaction, so that the outcome of a COMMIT
// whose acknowledgement was lost can be learnt from the database.
type commitRef struct {
	// xid is the transaction's id as pg_current_xact_id reports it, or ""
	// on SQLite and for writes that did not ask.
	xid string
	// event is the id of an event the transaction appended, or "". Event
	// ids are random and unique, so finding it proves the commit.
	event string
}

// What commitFailed learns of a transaction: pg_xact_status's answers,
// xactUnknown for its NULL (a transaction too old to tell) or for an id the
// server never issued (after a failover to a standby that lacked it, say),
// and xactReused for an id that committed without the transaction's event.
const (
	xactCommitted  = "committed"
	xactAborted    = "aborted"
	xactInProgress = "in progress"
	xactUnknown    = "unknown"
	xactReused     = "id reused"
)

// commitFailed returns what a write reports when its COMMIT failed with
// err.
//
// A connection error at COMMIT leaves the outcome open: the server may
// have made the commit durable and then died, or lost the connection,
// before acknowledging it. Reporting that as ErrUnavailable would have the
// client retry a change that stands. So, given the transaction's id,
// commitFailed asks the server (on another connection of the pool) for its
// status, with a growing pause while the server cannot be reached or still
// runs the transaction, for up to commitCheckLimit and never past ctx.
//
// "committed" alone is not proof: a server that crashes before the
// transaction's first WAL record reaches the disk forgets that it issued
// the id, and issues it again after recovery, to a transaction that may
// commit. So the write counts as committed only once the event it appended
// is found too. commitFailed returns nil then, and an error wrapping
// directory.ErrUnavailable otherwise: when the transaction did not commit,
// and when that could not be learnt in time or without an event. Only in
// those last cases can a write reported as failed stand.
//
// Other errors, and all on SQLite, are wrapped as they are: SQLite commits
// within the process, and a PostgreSQL error other than a connection's
// means the server rolled back.
func (d *DB) commitFailed(ctx context.Context, ref commitRef, err error) error {
	if ref.xid == "" || !isUnavailable(err) {
		return fmt.Errorf("commit: %w", d.mapErr(err))
	}
	start := time.Now()
	status, serr := d.xactStatus(ctx, ref)
	waited := time.Since(start).Round(time.Millisecond)
	log := d.log.With("xact_id", ref.xid, "event_id", ref.event, "commit_error", err,
		"waited", waited)

	switch status {
	case xactCommitted:
		log.Warn("commit confirmed after its connection failed")
		return nil
	case "":
		log.Error("commit outcome unknown: reporting the database unavailable",
			"error", serr)
		return fmt.Errorf("commit transaction %s: outcome unknown after %s: %w",
			ref.xid, waited, d.mapErr(err))
	}
	log.Info("commit failed with its connection; the transaction did not commit",
		"status", status)
	return fmt.Errorf("commit transaction %s (%s): %w", ref.xid, status, d.mapErr(err))
}

// xactStatus asks PostgreSQL what became of transaction ref until it
// learns whether it committed, commitCheckLimit has passed or ctx is done.
// It returns xactCommitted, xactAborted, xactUnknown or xactReused, or ""
// and the last error when no answer came: the server stayed unreachable,
// kept the transaction in progress, or failed the question for another
// reason, which asking again would not mend.
func (d *DB) xactStatus(ctx context.Context, ref commitRef) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commitCheckLimit)
	defer cancel()

	pause := firstStatusPause
	for {
		status, err := d.queryXactStatus(ctx, ref)
		switch {
		case err == nil && status != xactInProgress:
			return status, nil
		case err == nil:
			// The server has not finished the COMMIT, or has not yet
			// noticed that the connection which would send it is gone.
			err = fmt.Errorf("transaction %s is still in progress", ref.xid)
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

// queryXactStatus asks the server once what became of transaction ref.
func (d *DB) queryXactStatus(ctx context.Context, ref commitRef) (string, error) {
	if err := d.fault(faultStatus); err != nil {
		return "", fmt.Errorf("read status of transaction %s: %w", ref.xid, err)
	}

	var status sql.NullString
	err := d.wdb.QueryRowContext(ctx, `SELECT pg_xact_status($1::xid8)`, ref.xid).
		Scan(&status)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "22023" {
		// "transaction ID ... is in the future": this server never issued
		// the id, so the transaction did not commit here.
		return xactUnknown, nil
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("read status of transaction %s: %w", ref.xid, err)
	case !status.Valid:
		return xactUnknown, nil
	case status.String != xactCommitted:
		return status.String, nil
	case ref.event == "":
		return "", fmt.Errorf("transaction %s reads committed, but appended no event "+
			"to tell it from another that a crash let have the same id", ref.xid)
	}

	// A statement of its own, so that its snapshot follows the commit. The
	// event is seconds old, and retention keeps events far longer, so it is
	// missing only when the id's commit was another transaction's.
	var found bool
	err = d.wdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)`,
		ref.event).Scan(&found)
	if err != nil {
		return "", fmt.Errorf("look for event %q of transaction %s: %w", ref.event, ref.xid,
			err)
	}
	if !found {
		return xactReused, nil
	}
	return xactCommitted, nil
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
