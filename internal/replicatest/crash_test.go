package replicatest

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestCommitAcrossCrash crashes PostgreSQL (pg_ctl stop -m immediate) at a
// write's COMMIT, through a proxy that holds the connection meanwhile, and
// checks what Write reports against what the database kept after recovery:
//
//   - The commit was durable, the acknowledgement lost: Write returns nil.
//   - COMMIT never reached the server, and after recovery the server gives
//     the transaction's id to another transaction, which commits. The id
//     then reads "committed", yet the write is gone: Write must not be
//     fooled, and returns ErrUnavailable.
func TestCommitAcrossCrash(t *testing.T) {
	// With the WAL writer asleep and autovacuum off, nothing writes the
	// held transaction's WAL out before the crash, so that recovery forgets
	// its id and issues it again.
	pg := newCluster(t, "wal_writer_delay=10s", "autovacuum=off")
	u, err := url.Parse(pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := sqlstoretest.NewCommitProxy(t, u.Host)
	ctx := t.Context()
	db, err := sqlstore.Open(ctx, sqlstore.Config{URL: proxy.URL(pg.URL()), Migrate: true,
		MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		cut    sqlstoretest.CommitCut
		want   error
		stored bool
	}{
		{"durable-then-crash", sqlstoretest.LoseAck, nil, true},
		{"crash-before-commit-id-reused", sqlstoretest.DropCommit, directory.ErrUnavailable,
			false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The proxy stops at COMMIT until the test has crashed and
			// restarted the server.
			atCommit, resume := make(chan struct{}), make(chan struct{})
			proxy.Arm(tc.cut, func() { close(atCommit); <-resume })
			user := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
				UserName: tc.name + "@example.com", Active: true,
				Doc: map[string]any{"userName": tc.name + "@example.com"}}
			result := make(chan error, 1)
			go func() {
				result <- db.Write(ctx, a.ID, func(tx directory.Tx) error {
					if err := tx.Insert(user); err != nil {
						return err
					}
					return tx.Append(&directory.Event{Type: directory.EventUserCreated,
						ResourceType: directory.KindUser, ResourceID: user.ID, Version: 1})
				})
			}()
			select {
			case err := <-result:
				t.Fatalf("Write returned %v before its COMMIT reached the proxy", err)
			case <-atCommit:
			}

			var held string
			if tc.cut == sqlstoretest.DropCommit {
				held = heldXid(t, pg.URL())
			}
			pg.stop(t, "immediate")
			pg.start(t)
			if tc.cut == sqlstoretest.DropCommit {
				if next := commitNewXid(t, pg.URL()); next != held {
					t.Fatalf("recovery kept transaction %s (the next id is %s): the test "+
						"cannot show a reused id", held, next)
				}
			}
			close(resume)

			err := <-result
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Write = %v, want %v", err, tc.want)
			}
			_, err = db.Resource(ctx, a.ID, directory.KindUser, user.ID)
			switch {
			case tc.stored && err != nil:
				t.Errorf("user not stored: %v", err)
			case !tc.stored && !errors.Is(err, directory.ErrNotFound):
				t.Errorf("user stored (read error %v), want nothing stored", err)
			}
		})
	}
}

// heldXid returns the id of the transaction held open at COMMIT.
func heldXid(t *testing.T, database string) string {
	t.Helper()
	db := openDirect(t, database)
	defer db.Close()
	var xid string
	err := db.QueryRow(`SELECT backend_xid::text FROM pg_stat_activity
		WHERE state = 'idle in transaction' AND backend_xid IS NOT NULL`).Scan(&xid)
	if err != nil {
		t.Fatalf("find the held transaction: %v", err)
	}
	return xid
}

// commitNewXid commits a transaction that only takes an id, and returns
// that id.
func commitNewXid(t *testing.T, database string) string {
	t.Helper()
	db := openDirect(t, database)
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var xid string
	err = tx.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return xid
}

func openDirect(t *testing.T, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", database)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
