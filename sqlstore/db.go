// Package sqlstore implements directory.Store on SQLite (modernc.org/sqlite,
// pure Go) and PostgreSQL (github.com/jackc/pgx/v5).
//
// Both engines are reached through database/sql, so that one body of SQL and
// one set of helpers serve both, and so that goose can run the embedded
// migrations on the same pools. The pgx stdlib adapter keeps pgx's wire
// protocol and type handling; what database/sql costs over native pgx is
// small next to a network round trip.
//
// # Writing queries for both engines
//
// Files of this package that add tables (console.go, webhooks.go, ...) use
// these helpers rather than branching on the engine:
//
//   - Write SQL with ? placeholders and pass it through d.rebind, which turns
//     them into $1, $2, ... on PostgreSQL. Question marks inside string
//     literals are left alone.
//   - Run statements that change data on d.wdb (or inside d.writeTx, which
//     begins an immediate transaction on SQLite and retries serialisation
//     failures on PostgreSQL); read with d.rdb. On SQLite the read pool is
//     query_only, so a write sent to it fails loudly.
//   - Bind times with d.ts(t) or d.tsPtr(p), and scan them with
//     scanTime(&t) or scanTimePtr(&p): SQLite keeps them as fixed-width
//     RFC 3339 UTC text with microseconds, which sorts and compares like the
//     instant it names; PostgreSQL keeps timestamptz. Both hold
//     microseconds, so a time reads back equal to what was stored after
//     truncation.
//   - Run the statements of hot paths through d.reader() and d.writer(),
//     or inTx(cache, tx) inside a transaction, rather than on the pools
//     directly: they reuse prepared statements (see stmtCache). Each is a
//     querier, as *sql.DB and *sql.Tx are. In a transaction, close a
//     statement's rows before running the same statement again.
//   - Pass errors through d.mapErr: unique violations wrap
//     directory.ErrConflict, a missing parent row (foreign key) wraps
//     directory.ErrNotFound, a database that cannot be reached wraps
//     directory.ErrUnavailable. d.isUnique(err) answers the first directly.
//   - Columns holding JSON are TEXT on SQLite and jsonb on PostgreSQL; bind
//     a string and scan into a string or []byte on both.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
)

// Dialect names a database engine.
type Dialect string

// The engines sqlstore runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says which database to open and how.
type Config struct {
	// URL is "" or "sqlite:" for <DataDir>/scimd.db, "sqlite:<path>" for a
	// SQLite file elsewhere, or a "postgres://" (or "postgresql://") URL.
	URL string
	// DataDir holds the SQLite database. It is created (mode 0700) when
	// missing.
	DataDir string
	// MaxOpenConns bounds the PostgreSQL pool, or SQLite's read pool (SQLite
	// always writes through a single connection). 0 picks a default.
	MaxOpenConns int
	// MaxIdleConns bounds idle connections; 0 keeps up to MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime closes connections older than this; 0 picks a default
	// (30 minutes on PostgreSQL, unlimited on SQLite).
	ConnMaxLifetime time.Duration
	// Migrate applies pending migrations at Open.
	Migrate bool
	// Logger receives the store's log records; nil discards them.
	Logger *slog.Logger
}

// DB is a directory.Store on SQLite or PostgreSQL. It is safe for concurrent
// use, and several processes may share one PostgreSQL database.
type DB struct {
	dialect Dialect
	rdb     *sql.DB // reads
	wdb     *sql.DB // writes; on PostgreSQL the same pool as rdb
	log     *slog.Logger

	// rstmts and wstmts keep the statements prepared on rdb and wdb; nil
	// runs every statement as it comes (see stmtCache).
	rstmts, wstmts *stmtCache
}

var _ directory.Store = (*DB)(nil)

// Open connects to the database that cfg names, checks that it answers and,
// when cfg.Migrate is set, applies pending migrations. An unreachable
// PostgreSQL yields an error wrapping directory.ErrUnavailable; a bad URL or
// data directory, a plain error.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &DB{log: log.With("component", "sqlstore")}

	var err error
	switch {
	case cfg.URL == "" || strings.HasPrefix(cfg.URL, "sqlite:"):
		err = d.openSQLite(cfg)
	case strings.HasPrefix(cfg.URL, "postgres://"), strings.HasPrefix(cfg.URL, "postgresql://"):
		err = d.openPostgres(cfg)
	default:
		err = fmt.Errorf("open database: URL %q is neither sqlite:<path> nor postgres://...",
			RedactURL(cfg.URL))
	}
	if err != nil {
		return nil, err
	}

	if err := d.wdb.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.dialect, d.mapErr(err))
	}
	if cfg.Migrate {
		if err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// sqlitePath returns the database file that cfg names.
func sqlitePath(cfg Config) (string, error) {
	path := strings.TrimPrefix(cfg.URL, "sqlite:")
	if path != "" {
		return path, nil
	}
	if cfg.DataDir == "" {
		return "", errors.New("open sqlite: no data directory and no path in the URL")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory %q: %w", cfg.DataDir, err)
	}
	return filepath.Join(cfg.DataDir, "scimd.db"), nil
}

// Dialect returns the engine d runs on.
func (d *DB) Dialect() Dialect { return d.dialect }

// Close closes the prepared statements and the connection pools. It returns
// the first error met.
func (d *DB) Close() error {
	d.closeStatements()
	err := d.wdb.Close()
	if d.rdb != d.wdb {
		if rerr := d.rdb.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebind turns ? placeholders into PostgreSQL's $n. Question marks inside
// single-quoted literals and double-quoted identifiers stay as they are.
func (d *DB) rebind(query string) string {
	if d.dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// timeLayout is how SQLite stores times: UTC with a fixed-width fraction,
// so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ts returns the value to bind for t: its UTC instant truncated to
// microseconds, as text on SQLite and as a time on PostgreSQL.
func (d *DB) ts(t time.Time) any { return timeValueFor(d.dialect, t) }

func timeValueFor(d Dialect, t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == SQLite {
		return t.Format(timeLayout)
	}
	return t
}

// tsPtr is ts for an optional time; nil binds NULL.
func (d *DB) tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.ts(*t)
}

// stored returns t as the store keeps it, so that a caller's struct holds
// what a later read returns.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeScanner reads a time column of either engine.
type timeScanner struct {
	dst  *time.Time
	ptr  **time.Time
	null bool
}

// scanTime returns a sql.Scanner that stores a NOT NULL time column in dst.
func scanTime(dst *time.Time) sql.Scanner { return &timeScanner{dst: dst} }

// scanTimePtr returns a sql.Scanner that stores a nullable time column in
// dst: nil for NULL.
func scanTimePtr(dst **time.Time) sql.Scanner { return &timeScanner{ptr: dst, null: true} }

// Scan implements sql.Scanner.
func (s *timeScanner) Scan(v any) error {
	var t time.Time
	switch v := v.(type) {
	case nil:
		if !s.null {
			return errors.New("scan time: NULL in a NOT NULL column")
		}
		*s.ptr = nil
		return nil
	case time.Time:
		t = v
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return s.set(t.UTC())
}

func (s *timeScanner) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", v, err)
	}
	return s.set(t.UTC())
}

func (s *timeScanner) set(t time.Time) error {
	if s.null {
		*s.ptr = &t
	} else {
		*s.dst = t
	}
	return nil
}

// nullString binds "" as NULL, for optional text columns.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// fold is how sqlstore compares case-insensitive values: stored lookup
// columns hold fold(value), and SQLite's scimd_fold function is this one, so
// both sides of a comparison fold alike. It changes case only: a value
// written in another Unicode normalization form (NFD "é" for NFC "é") is
// another value, as filter.Match and the identity provider see it too.
func fold(s string) string { return strings.ToLower(s) }

// RedactURL hides a password in a database URL, for errors and logs: the
// one in the user part and a password parameter, which pgx reads too.
// Anything else, such as pgx's "host=... password=..." form, is not shown at
// all; an empty URL stays empty.
func RedactURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return "(not a URL)"
	}
	if p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.UserPassword(p.User.Username(), "xxxxx")
		}
	}
	if q := p.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		p.RawQuery = q.Encode()
	}
	return p.String()
}
