package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

func TestOpenSQLite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	db, err := sqlstore.Open(t.Context(), sqlstore.Config{DataDir: dir, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
	info, err = os.Stat(filepath.Join(dir, "scimd.db"))
	if err != nil || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file: %v, mode %v; want no access for others", err, info.Mode())
	}

	// The settings durability and integrity rest on.
	for _, tc := range []struct {
		pragma string
		reader bool
		want   string
	}{
		{"journal_mode", false, "wal"},
		{"synchronous", false, "2"}, // FULL
		{"foreign_keys", false, "1"},
		{"foreign_keys", true, "1"},
		{"query_only", true, "1"},
		{"query_only", false, "0"},
	} {
		got, err := db.Pragma(t.Context(), tc.pragma, tc.reader)
		if err != nil || got != tc.want {
			t.Errorf("PRAGMA %s (reader %v) = %q, %v; want %q", tc.pragma, tc.reader,
				got, err, tc.want)
		}
	}

	// Migrating again does nothing, and a reopened database keeps its data.
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate twice: %v", err)
	}
	a := &directory.Account{ID: uuid.NewString(), Name: "kept", CreatedAt: time.Now()}
	if err := db.CreateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	db.Close()
	path := "sqlite:" + filepath.Join(dir, "scimd.db")
	db, err = sqlstore.Open(t.Context(), sqlstore.Config{URL: path, Migrate: true})
	if err != nil {
		t.Fatalf("reopen by path: %v", err)
	}
	defer db.Close()
	if _, err := db.AccountByName(t.Context(), "kept"); err != nil {
		t.Errorf("reopened database lost its account: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sqlstore.Config
		is   error
	}{
		{"unknown-scheme", sqlstore.Config{URL: "mysql://u:secret@host/db"}, nil},
		{"sqlite-without-place", sqlstore.Config{URL: "sqlite:"}, nil},
		{"postgres-refused", sqlstore.Config{
			URL: "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=2"},
			directory.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlstore.Open(t.Context(), tc.cfg)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want an error wrapping %v", err, tc.is)
			}
			if msg := err.Error(); strings.Contains(msg, "secret") {
				t.Errorf("the error shows the password: %s", msg)
			}
		})
	}
}

// TestConcurrentMigrations starts several replicas on one fresh PostgreSQL
// schema at once: the advisory lock lets one migrate while the others wait,
// and all of them open.
func TestConcurrentMigrations(t *testing.T) {
	url := sqlstoretest.SchemaURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db, err := sqlstore.Open(ctx, sqlstore.Config{URL: url, Migrate: true,
				MaxOpenConns: 2})
			if err == nil {
				_, err = db.Accounts(ctx)
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}

// TestWriteRetries checks that Write runs fn again when PostgreSQL reports
// a serialisation failure or a deadlock, a bounded number of times, and
// never for other errors.
func TestWriteRetries(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		a := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
		if err := db.CreateAccount(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			failures int
			code     string
			calls    int
			ok       bool
		}{
			{"serialisation", 2, "40001", 3, true},
			{"deadlock", 1, "40P01", 2, true},
			{"gives-up", 100, "40001", 5, false},
			{"other-errors-are-final", 100, "23505", 1, false},
		} {
			calls := 0
			err := db.Write(t.Context(), a.ID, func(tx directory.Tx) error {
				calls++
				if calls <= tc.failures {
					return &pgconn.PgError{Code: tc.code, Message: "injected"}
				}
				return nil
			})
			if (err == nil) != tc.ok || calls != tc.calls {
				t.Errorf("%s: %d calls, error %v; want %d calls, success %v", tc.name,
					calls, err, tc.calls, tc.ok)
			}
		}
	})
}
