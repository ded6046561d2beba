package sqlstore_test

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// copyFixture writes an account with a token, a user, a group with the user
// as member, their events and an activity entry, and returns the account.
func copyFixture(t *testing.T, db *sqlstore.DB, name string) (*directory.Account, string) {
	t.Helper()
	ctx := context.Background()
	svc := quiet(db)
	a, err := svc.CreateAccount(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, a.ID, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{AccountID: a.ID, Client: "Okta"}
	u, err := svc.Create(ctx, actor, directory.KindUser, map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "Ada@Example.com", "active": true,
		"emails": []any{map[string]any{"value": "ada@example.com", "primary": true}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Create(ctx, actor, directory.KindGroup, map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering", "members": []any{map[string]any{"value": u.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InsertActivity(ctx, []*directory.ActivityEntry{{AccountID: a.ID,
		Time: time.Now(), Method: "POST", Path: "/Users", Status: 201}})
	if err != nil {
		t.Fatal(err)
	}
	return a, secret
}

// TestCopyRoundTrip copies SQLite to PostgreSQL and back to a new SQLite
// database: every value crosses both conversions and reads back the same
// through the store, and the copies keep working.
func TestCopyRoundTrip(t *testing.T) {
	sqlstoretest.RequirePostgres(t)
	ctx := context.Background()
	first := sqlstoretest.Open(t, sqlstore.SQLite)
	a, secret := copyFixture(t, first, "acme")

	pg := openEmpty(t, sqlstoretest.SchemaURL(t))
	stats, err := sqlstore.Copy(ctx, first, pg)
	if err != nil {
		t.Fatalf("copy to postgres: %v", err)
	}
	if stats.Rows() < 8 || len(stats.Tables) < 10 {
		t.Errorf("stats = %+v", stats)
	}
	last := openEmpty(t, "sqlite:"+t.TempDir()+"/back.db")
	if _, err := sqlstore.Copy(ctx, pg, last); err != nil {
		t.Fatalf("copy back to sqlite: %v", err)
	}

	want := snapshot(t, first, a.ID, secret)
	for name, db := range map[string]*sqlstore.DB{"postgres": pg, "sqlite again": last} {
		if got := snapshot(t, db, a.ID, secret); !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from the source:\n got  %+v\n want %+v", name, got, want)
		}

		// New rows continue the copied counters and identities.
		err := db.InsertActivity(ctx, []*directory.ActivityEntry{{AccountID: a.ID,
			Time: time.Now(), Method: "GET", Path: "/Users", Status: 200}})
		if err != nil {
			t.Errorf("%s: insert activity after copy: %v", name, err)
		}
		svc := quiet(db)
		_, err = svc.Create(ctx, directory.Actor{AccountID: a.ID}, directory.KindUser,
			map[string]any{"userName": "grace",
				"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}})
		if err != nil {
			t.Errorf("%s: create user after copy: %v", name, err)
		}
		events, _ := db.Events(ctx, a.ID, 0, 0)
		if n := len(events); n != len(want.events)+1 || events[n-1].Position != int64(n) {
			t.Errorf("%s: %d events after a write, want %d in sequence", name, n,
				len(want.events)+1)
		}
	}
}

// copied is what the store returns of a copied account.
type copied struct {
	token    directory.Token
	user     directory.Resource
	members  []directory.Member
	events   []directory.Event
	activity []directory.ActivityEntry
}

func snapshot(t *testing.T, db *sqlstore.DB, accountID, secret string) copied {
	t.Helper()
	ctx := context.Background()
	var c copied
	tok, err := db.TokenByHash(ctx, directory.HashToken(secret))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	c.token = *tok
	events, err := db.Events(ctx, accountID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		c.events = append(c.events, *e)
	}
	u, err := db.Resource(ctx, accountID, directory.KindUser, events[0].ResourceID)
	if err != nil {
		t.Fatal(err)
	}
	c.user = *u
	if c.members, err = db.Members(ctx, accountID, events[1].ResourceID, "", 10); err != nil {
		t.Fatal(err)
	}
	acts, err := db.Activity(ctx, accountID, directory.ActivityQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range acts {
		c.activity = append(c.activity, *e)
	}
	return c
}

// openEmpty opens a database without migrating it, as scimd copy opens
// its target.
func openEmpty(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCopyRefuses(t *testing.T) {
	sqlstoretest.RequirePostgres(t)
	ctx := context.Background()
	src := sqlstoretest.Open(t, sqlstore.SQLite)
	copyFixture(t, src, "acme")

	// A target that holds data keeps it, untouched.
	used := sqlstoretest.Open(t, sqlstore.Postgres)
	if _, err := quiet(used).CreateAccount(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	_, err := sqlstore.Copy(ctx, src, used)
	if err == nil || !strings.Contains(err.Error(), "not empty (table accounts has rows)") {
		t.Errorf("copy into a used database: %v", err)
	}
	if list, _ := used.Accounts(ctx); len(list) != 1 || list[0].Name != "other" {
		t.Errorf("target accounts after a refused copy: %v", list)
	}

	// A database of another application is neither migrated nor written.
	url := sqlstoretest.SchemaURL(t)
	foreign := openEmpty(t, url)
	raw := rawDB(t, sqlstore.Postgres, sqlstore.Config{URL: url})
	if _, err := raw.Exec(`CREATE TABLE orders (id int)`); err != nil {
		t.Fatal(err)
	}
	_, err = sqlstore.Copy(ctx, src, foreign)
	if err == nil || !strings.Contains(err.Error(), "tables no migration creates (orders)") {
		t.Errorf("copy into a foreign database: %v", err)
	}
	if current, _, _ := foreign.SchemaVersion(ctx); current != 0 {
		t.Errorf("foreign database migrated to %d by a refused copy", current)
	}

	// A source an older release left must be migrated first.
	old := sqlstore.Config{DataDir: t.TempDir()}
	migrateTo(t, sqlstore.SQLite, old, 1)
	oldDB, err := sqlstore.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer oldDB.Close()
	_, err = sqlstore.Copy(ctx, oldDB, sqlstoretest.Open(t, sqlstore.Postgres))
	if err == nil || !strings.Contains(err.Error(), "migrate it first") {
		t.Errorf("copy from an old schema: %v", err)
	}
}

func quiet(db *sqlstore.DB) *directory.Service {
	return directory.NewService(db, directory.WithLogger(slog.New(slog.DiscardHandler)))
}
