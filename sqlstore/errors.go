package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimd/scimd/directory"
)

// mapErr wraps err with the directory error it stands for, so that callers
// can test it with errors.Is while the driver's message stays in the text.
// Errors that stand for none come back unchanged, as do nil and errors that
// already carry a directory error.
func (d *DB) mapErr(err error) error {
	switch {
	case err == nil, errors.Is(err, directory.ErrConflict),
		errors.Is(err, directory.ErrNotFound), errors.Is(err, directory.ErrUnavailable):
		return err
	case d.isUnique(err):
		return fmt.Errorf("%w: %w", directory.ErrConflict, err)
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", directory.ErrNotFound, err)
	case isUnavailable(err):
		return fmt.Errorf("%w: %w", directory.ErrUnavailable, err)
	}
	return err
}

// isUnique reports whether err is a unique or primary key violation.
func (d *DB) isUnique(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "23505"
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports whether err is a foreign key violation: a row named
// a parent (an account, a group) that does not exist.
func isForeignKey(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "23503"
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isBusy reports whether err is SQLite's SQLITE_BUSY: another connection
// holds the lock that was needed.
func isBusy(err error) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	return ok && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isRetryable reports whether PostgreSQL asked for the transaction to be
// run again: a serialisation failure or a deadlock.
func isRetryable(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pe.Code == "40001" || pe.Code == "40P01")
}

// isUnavailable reports whether err means the database cannot serve now:
// PostgreSQL down, refusing, shutting down or out of connections; SQLite
// locked by another process past the busy timeout, or its disk full or
// failing. A cancelled or timed-out context is the caller's doing, not the
// database's, and is not included.
func isUnavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "53300", "53100", "53200":
			// admin_shutdown, crash_shutdown, cannot_connect_now,
			// too_many_connections, disk_full, out_of_memory.
			return true
		}
		return pe.Code[:2] == "08" // connection exception
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
		return false
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	// pgx reports ErrConnClosed for a statement on a connection the server
	// dropped (a shutdown's FATAL read after the previous statement's result).
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}
