package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestMigrateConcurrently starts replicas at the same moment on one
// database, as a deployment of several scimd processes does: on a fresh
// database, and on one an older release migrated (a rolling upgrade, where
// goose's version table exists already and only the lock keeps two
// replicas from running one migration twice). Every Open must succeed and
// every migration be applied exactly once.
func TestMigrateConcurrently(t *testing.T) {
	for _, dialect := range []sqlstore.Dialect{sqlstore.Postgres, sqlstore.SQLite} {
		for _, from := range []int64{0, 1} {
			t.Run(fmt.Sprintf("%s/from-%d", dialect, from), func(t *testing.T) {
				cfg := sqlstore.Config{Migrate: true, MaxOpenConns: 2}
				if dialect == sqlstore.Postgres {
					cfg.URL = sqlstoretest.SchemaURL(t)
				} else {
					cfg.DataDir = t.TempDir()
				}
				if from > 0 {
					migrateTo(t, dialect, cfg, from)
				}
				testMigrateConcurrently(t, cfg)
			})
		}
	}
}

// migrateTo applies the migrations up to version, as an older release did,
// with goose alone and the migration files of the source tree.
func migrateTo(t *testing.T, dialect sqlstore.Dialect, cfg sqlstore.Config, version int64) {
	t.Helper()
	gd := goose.DialectPostgres
	if dialect == sqlstore.SQLite {
		gd = goose.DialectSQLite3
	}
	p, err := goose.NewProvider(gd, rawDB(t, dialect, cfg),
		os.DirFS(filepath.Join("migrations", string(dialect))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
}

func testMigrateConcurrently(t *testing.T, cfg sqlstore.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const replicas = 4
	dbs := make([]*sqlstore.DB, replicas)
	errs := make([]error, replicas)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range replicas {
		wg.Go(func() {
			start.Wait()
			dbs[i], errs[i] = sqlstore.Open(ctx, cfg)
		})
	}
	start.Done()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: open: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}

	for i, db := range dbs {
		current, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatalf("replica %d: schema version: %v", i, err)
		}
		if latest < 3 || current != latest {
			t.Fatalf("replica %d: schema version %d, embedded %d", i, current, latest)
		}
	}

	// goose records one row per applied migration; a migration run twice
	// would have failed above or left two rows.
	raw := rawDB(t, dbs[0].Dialect(), cfg)
	rows, err := raw.QueryContext(ctx, `SELECT version_id, count(*) FROM goose_db_version
		GROUP BY version_id HAVING count(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var version, n int64
		rows.Scan(&version, &n)
		t.Errorf("migration %d recorded %d times", version, n)
	}

	// The schema works: a second Open with Migrate is a no-op.
	again, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open after migration: %v", err)
	}
	again.Close()
}

// rawDB opens the database cfg names with database/sql alone, for checks
// that look under the store.
func rawDB(t *testing.T, dialect sqlstore.Dialect, cfg sqlstore.Config) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", cfg.URL
	if dialect == sqlstore.SQLite {
		driver = "sqlite"
		dsn = "file:" + filepath.Join(cfg.DataDir, "scimd.db") + "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSchemaVersionOfEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil || current != 0 || latest == 0 {
		t.Fatalf("SchemaVersion = %d, %d, %v; want 0 and the embedded version", current,
			latest, err)
	}
	// Reading the version must not have created goose's table.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate after SchemaVersion: %v", err)
	}
	if current, _, _ := db.SchemaVersion(ctx); current != latest {
		t.Fatalf("after Migrate: version %d, want %d", current, latest)
	}
}
