// Package sqlstoretest opens fresh, migrated sqlstore databases for tests:
// SQLite in a temporary directory, PostgreSQL in a schema of its own that is
// dropped when the test ends.
//
// PostgreSQL is reached at postgres://127.0.0.1:5432/test?sslmode=disable,
// or at the URL in SCIMD_TEST_POSTGRES. When it cannot be reached its tests
// are skipped, except under CI=true, where they fail: CI must start it.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/sqlstore"
)

// DefaultPostgresURL is where tests look for PostgreSQL unless
// SCIMD_TEST_POSTGRES says otherwise.
const DefaultPostgresURL = "postgres://127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the URL of the test PostgreSQL server.
func PostgresURL() string {
	if u := os.Getenv("SCIMD_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Open returns an empty, migrated database of the given dialect for one
// test. It is closed when the test ends; on PostgreSQL its schema is dropped
// then. Open skips the test when PostgreSQL is unreachable, or fails it
// under CI=true.
func Open(tb testing.TB, dialect sqlstore.Dialect) *sqlstore.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg := sqlstore.Config{Migrate: true, MaxOpenConns: 8}
	switch dialect {
	case sqlstore.SQLite:
		dir := tb.TempDir()
		cfg.DataDir = filepath.Join(dir, "data")
	case sqlstore.Postgres:
		cfg.URL = schemaURL(tb)
	default:
		tb.Fatalf("sqlstoretest: unknown dialect %q", dialect)
	}
	db, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open %s test database: %v", dialect, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// ForEach runs fn once per engine as subtests named "sqlite" and
// "postgres"; open gives each test of fn a fresh database of that engine.
func ForEach(t *testing.T, fn func(t *testing.T, open func(tb testing.TB) *sqlstore.DB)) {
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			if d == sqlstore.Postgres {
				RequirePostgres(t)
			}
			fn(t, func(tb testing.TB) *sqlstore.DB { return Open(tb, d) })
		})
	}
}

var (
	reachOnce sync.Once
	reachErr  error
)

// RequirePostgres skips tb when the test PostgreSQL server cannot be
// reached, or fails it under CI=true.
func RequirePostgres(tb testing.TB) {
	tb.Helper()
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			reachErr = err
			return
		}
		defer db.Close()
		reachErr = db.PingContext(ctx)
	})
	if reachErr == nil {
		return
	}
	msg := fmt.Sprintf("PostgreSQL at %s is unreachable: %v", PostgresURL(), reachErr)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s; CI=true requires it: start PostgreSQL or set SCIMD_TEST_POSTGRES", msg)
	}
	tb.Skip(msg)
}

// SchemaURL returns the URL of a new, empty schema of the test PostgreSQL
// server: no migration has run in it. It is dropped when the test ends. Like
// Open it skips the test when PostgreSQL is unreachable, or fails it under
// CI=true. Tests that start scimd processes or run migrations themselves
// use it.
func SchemaURL(tb testing.TB) string {
	tb.Helper()
	return schemaURL(tb)
}

// schemaURL creates a schema for one test and returns the server URL with
// that schema as its search path. The schema is dropped when the test ends.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	RequirePostgres(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "scimd_test_" + hex.EncodeToString(b)

	if err := adminExec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if err := adminExec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresURL(), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// adminExec runs one statement on a connection of its own, so that a test
// holds no connection beyond its database's pool.
func adminExec(stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
