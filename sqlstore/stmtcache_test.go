package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// openSQLite returns a migrated SQLite database in a temporary directory,
// with its statement cache on, as Open makes it.
func openSQLite(t *testing.T) *DB {
	t.Helper()
	d, err := Open(t.Context(), Config{DataDir: t.TempDir(), Migrate: true, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// selects returns n distinct statements that each read one number.
func selects(n int) []string {
	qs := make([]string, n)
	for i := range qs {
		qs[i] = fmt.Sprintf("SELECT %d", i)
	}
	return qs
}

// cached returns c's statements, most recently used first.
func cached(c *stmtCache) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var qs []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		qs = append(qs, el.Value.(*cachedStmt).query)
	}
	return qs
}

// use acquires query's statement, runs it and gives it back.
func use(t *testing.T, c *stmtCache, query string) {
	t.Helper()
	var n int
	if err := (cachedPool{c}).QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// isClosed reports whether stmt has been closed.
func isClosed(t *testing.T, stmt *sql.Stmt) bool {
	t.Helper()
	var n int
	err := stmt.QueryRowContext(t.Context()).Scan(&n)
	return err != nil && strings.Contains(err.Error(), "statement is closed")
}

func TestStmtCacheEvictsLeastRecentlyUsed(t *testing.T) {
	d := openSQLite(t)
	c := newStmtCache(d.rdb, 3)
	qs := selects(4)
	for _, q := range qs[:3] {
		use(t, c, q)
	}
	c.mu.Lock()
	first := c.entries[qs[1]].Value.(*cachedStmt).stmt
	c.mu.Unlock()

	use(t, c, qs[0]) // now SELECT 1 is the least recently used
	use(t, c, qs[3])

	want := []string{qs[3], qs[0], qs[2]}
	if got := cached(c); !slices.Equal(got, want) {
		t.Errorf("cached %q, want %q", got, want)
	}
	if !isClosed(t, first) {
		t.Errorf("evicted statement %q is still open", qs[1])
	}
}

func TestStmtCacheClosesHeldStatementOnRelease(t *testing.T) {
	d := openSQLite(t)
	c := newStmtCache(d.rdb, 1)
	qs := selects(2)
	held := c.acquire(t.Context(), qs[0])
	if held == nil {
		t.Fatal("acquire returned nil")
	}
	use(t, c, qs[1]) // evicts qs[0] while it is held

	if isClosed(t, held.stmt) {
		t.Fatal("a statement was closed while a caller held it")
	}
	c.release(held)
	if !isClosed(t, held.stmt) {
		t.Error("an evicted statement stayed open after its caller gave it back")
	}
	if got := cached(c); !slices.Equal(got, qs[1:]) {
		t.Errorf("cached %q, want %q", got, qs[1:])
	}
}

// TestStmtCacheRunsWhatItDoesNotKeep checks that statements the cache does
// not keep still run, with the engine's own error for a bad one.
func TestStmtCacheRunsWhatItDoesNotKeep(t *testing.T) {
	long := "SELECT 1" + strings.Repeat(" ", maxCachedQuery)
	for _, tc := range []struct {
		name, query, err string
		kept             bool
	}{
		{"short", "SELECT 1", "", true},
		{"at-the-bound", "SELECT 1" + strings.Repeat(" ", maxCachedQuery-8), "", true},
		{"too-long", long, "", false},
		{"bad-column", "SELECT nosuch FROM users", "no such column: nosuch", false},
		{"bad-syntax", "SELEC 1", `near "SELEC": syntax error`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openSQLite(t)
			c := newStmtCache(d.rdb, 4)
			var n int
			err := (cachedPool{c}).QueryRowContext(t.Context(), tc.query).Scan(&n)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("got error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got error %v, want %q", err, tc.err)
			}
			if kept := c.len() == 1; kept != tc.kept {
				t.Errorf("kept %t, want %t", kept, tc.kept)
			}
		})
	}
}

// TestStmtCacheInWriteTransaction checks that a write transaction, which
// holds SQLite's only write connection, runs statements it has not met
// before without waiting for a second connection, and finds them prepared
// the next time.
func TestStmtCacheInWriteTransaction(t *testing.T) {
	d := openSQLite(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	acct := &directory.Account{ID: uuid.NewString(), Name: "acme", CreatedAt: time.Now()}
	if err := d.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	insert := func(name string) {
		t.Helper()
		err := d.Write(ctx, acct.ID, func(tx directory.Tx) error {
			u := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
				UserName: name, Doc: map[string]any{"userName": name}}
			if err := tx.Insert(u); err != nil {
				return err
			}
			return tx.Append(&directory.Event{Type: directory.EventUserCreated,
				ResourceType: directory.KindUser, ResourceID: u.ID, Version: 1})
		})
		if err != nil {
			t.Fatalf("insert %s: %v", name, err)
		}
	}

	insert("ann")
	parsed, kept := d.wstmts.parsed, d.wstmts.len()
	if kept < 4 { // the lock, the user, the event counter, the event
		t.Fatalf("%d statements kept after a write, want at least 4", kept)
	}
	insert("bob")
	if d.wstmts.parsed != parsed || d.wstmts.len() != kept {
		t.Errorf("the second write prepared %d statements, want 0",
			d.wstmts.parsed-parsed)
	}
}

// TestStmtCacheConcurrent evicts statements while other goroutines run
// them, on the pool and in transactions; run it under -race.
func TestStmtCacheConcurrent(t *testing.T) {
	d := openSQLite(t)
	c := newStmtCache(d.rdb, 4)
	qs := selects(12)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				q := qs[(g*5+i)%len(qs)]
				var n int
				if g%2 == 0 {
					if err := (cachedPool{c}).QueryRowContext(t.Context(), q).Scan(&n); err != nil {
						t.Errorf("%s on the pool: %v", q, err)
						return
					}
					continue
				}
				c.warm(t.Context(), q)
				tx, err := d.rdb.BeginTx(t.Context(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				err = inTx(c, tx).QueryRowContext(t.Context(), q).Scan(&n)
				tx.Rollback()
				if err != nil {
					t.Errorf("%s in a transaction: %v", q, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > 4 {
		t.Errorf("%d statements cached, bound is 4", n)
	}
}

// TestStmtCacheSurvivesSchemaChange changes the schema from another
// connection, as a second scimd process migrating the same file would:
// SQLite prepares the cached statements again by itself.
func TestStmtCacheSurvivesSchemaChange(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	d, err := Open(ctx, Config{DataDir: dir, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	acct := &directory.Account{ID: uuid.NewString(), Name: "acme", CreatedAt: time.Now()}
	if err := d.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	u := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
		UserName: "ann", Doc: map[string]any{"userName": "ann"}}
	err = d.Write(ctx, acct.ID, func(tx directory.Tx) error { return tx.Insert(u) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Resource(ctx, acct.ID, directory.KindUser, u.ID); err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "scimd.db")+
		"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, stmt := range []string{
		`ALTER TABLE users ADD COLUMN note TEXT`,
		`CREATE INDEX users_note ON users (account_id, note)`,
	} {
		if _, err := other.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	got, err := d.Resource(ctx, acct.ID, directory.KindUser, u.ID)
	if err != nil {
		t.Fatalf("read after the schema changed: %v", err)
	}
	if got.UserName != "ann" {
		t.Errorf("read userName %q, want ann", got.UserName)
	}
	err = d.Write(ctx, acct.ID, func(tx directory.Tx) error {
		return tx.Insert(&directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
			UserName: "bob", Doc: map[string]any{"userName": "bob"}})
	})
	if err != nil {
		t.Fatalf("write after the schema changed: %v", err)
	}
}

func TestMigrateResetsStatementCache(t *testing.T) {
	d := openSQLite(t)
	if _, err := d.Account(t.Context(), uuid.NewString()); err == nil {
		t.Fatal("found an account in an empty database")
	}
	if d.rstmts.len() == 0 {
		t.Fatal("the read cache is empty after a read")
	}
	if err := d.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := d.rstmts.len(); n != 0 {
		t.Errorf("%d statements cached across a migration, want 0", n)
	}
}

func TestStmtCacheClosed(t *testing.T) {
	d := openSQLite(t)
	c := newStmtCache(d.rdb, 4)
	use(t, c, "SELECT 1")
	e := c.lookup("SELECT 1", false)
	c.release(e)
	c.close()

	if !isClosed(t, e.stmt) {
		t.Error("a statement stayed open after the cache closed")
	}
	use(t, c, "SELECT 2") // runs as it comes
	if n := c.len(); n != 0 {
		t.Errorf("a closed cache keeps %d statements", n)
	}
}
