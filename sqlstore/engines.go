package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"time"

	// The pgx stdlib adapter registers the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// busyTimeout is how long a SQLite connection waits for another writer (the
// scimd CLI next to a running server, say) before giving up with
// SQLITE_BUSY, which maps to directory.ErrUnavailable.
const busyTimeout = 10 * time.Second

func init() {
	// scimd_fold folds case the way Go code does (see fold), so that a
	// filter on a JSON attribute compares like a filter on a stored lookup
	// column. SQLite's own lower() folds ASCII only.
	sqlite.MustRegisterDeterministicScalarFunction("scimd_fold", 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return fold(v), nil
			case []byte:
				return fold(string(v)), nil
			default:
				return v, nil
			}
		})
}

// openSQLite opens two pools on one file: a single connection for writes,
// whose transactions begin IMMEDIATE so that writers queue on SQLite's lock
// instead of failing at their first write, and a query_only pool for reads,
// which WAL lets run beside the writer.
func (d *DB) openSQLite(cfg Config) error {
	path, err := sqlitePath(cfg)
	if err != nil {
		return err
	}
	d.dialect = SQLite

	// Every connection waits for other writers (busy_timeout, first, so
	// that it covers the pragmas after it), enforces foreign keys, and has
	// an exact LIKE, as co/sw/ew on a caseExact attribute need:
	// case-insensitive comparisons fold both sides instead.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "case_sensitive_like(ON)")
	dsn := "file:" + path + "?"

	// The writer turns WAL on (it stays on in the file) and syncs the WAL
	// at every commit, so that a write that returned 2xx survives a power
	// cut, not only a crash of the process.
	wq := cloneValues(q)
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Add("_pragma", "synchronous(FULL)")
	wq.Set("_txlock", "immediate")
	d.wdb, err = sql.Open("sqlite", dsn+wq.Encode())
	if err != nil {
		return fmt.Errorf("open sqlite %q: %w", path, err)
	}
	d.wdb.SetMaxOpenConns(1)
	d.wdb.SetMaxIdleConns(1)
	d.wdb.SetConnMaxLifetime(0)

	rq := cloneValues(q)
	rq.Add("_pragma", "query_only(ON)")
	d.rdb, err = sql.Open("sqlite", dsn+rq.Encode())
	if err != nil {
		d.wdb.Close()
		return fmt.Errorf("open sqlite %q: %w", path, err)
	}
	size(d.rdb, cfg, max(4, runtime.NumCPU()), 0)

	// Connect the writer first, so that the file exists in WAL mode before
	// any reader opens it.
	if err := d.connectWriter(); err != nil {
		d.Close()
		return fmt.Errorf("open sqlite %q: %w", path, d.mapErr(err))
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		_ = chmodIfExists(f, 0o600)
	}

	// Parsing a statement costs about as much as running one of the
	// indexed lookups SCIM clients send; each connection keeps what it
	// parsed. A statement survives a schema change by another process:
	// SQLite prepares it again when it meets the new schema.
	d.cacheStatements()
	d.log.Info("database opened", "engine", "sqlite", "path", path)
	return nil
}

// connectWriter opens the write connection. SQLite answers SQLITE_BUSY
// without waiting while another process sets up the same file (switching it
// to WAL, recovering its WAL), so that is tried again until busyTimeout.
func (d *DB) connectWriter() error {
	deadline := time.Now().Add(busyTimeout)
	for {
		_, err := d.wdb.Exec("PRAGMA user_version")
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openPostgres opens one sized pool.
func (d *DB) openPostgres(cfg Config) error {
	d.dialect = Postgres
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return fmt.Errorf("open postgres %q: %w", RedactURL(cfg.URL), err)
	}
	size(db, cfg, 16, 30*time.Minute)
	d.rdb, d.wdb = db, db

	// No statement cache of sqlstore's here: pgx keeps one per connection
	// (default_query_exec_mode=cache_statement prepares a statement on
	// first use and reuses it), and sqlstore's on top of it measured 1 to
	// 1.2 times slower (the cache=on benchmarks). pgx's also drops a
	// statement that failed, so one whose result columns another
	// replica's migration changed is prepared again, and it follows a
	// default_query_exec_mode set in the URL, such as simple_protocol
	// behind a pooler that cannot keep prepared statements.
	d.log.Info("database opened", "engine", "postgres", "url", RedactURL(cfg.URL))
	return nil
}

// size applies cfg's pool limits to db, with the given defaults.
func size(db *sql.DB, cfg Config, defOpen int, defLifetime time.Duration) {
	open := cfg.MaxOpenConns
	if open <= 0 {
		open = defOpen
	}
	idle := cfg.MaxIdleConns
	if idle <= 0 || idle > open {
		idle = open
	}
	life := cfg.ConnMaxLifetime
	if life <= 0 {
		life = defLifetime
	}
	db.SetMaxOpenConns(open)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(life)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// chmodIfExists narrows a file's mode; a file SQLite has not made yet is
// no error.
func chmodIfExists(path string, mode os.FileMode) error {
	err := os.Chmod(path, mode)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
