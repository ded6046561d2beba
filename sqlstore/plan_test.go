package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestLookupPlans checks that the filters identity providers send to find a
// resource before changing it are answered from an index on both engines.
// Run with -v to see the plans.
func TestLookupPlans(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		acct := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
		if err := db.CreateAccount(t.Context(), acct); err != nil {
			t.Fatal(err)
		}
		seed(t, db, acct.ID, 200)

		pk := map[sqlstore.Dialect]string{
			sqlstore.SQLite: "sqlite_autoindex_users_1", sqlstore.Postgres: "users_pkey"}
		emails := map[sqlstore.Dialect]string{
			sqlstore.SQLite: "PRIMARY KEY", sqlstore.Postgres: "user_emails_pkey"}
		for _, tc := range []struct {
			kind   directory.Kind
			filter string
			index  string // an index the plan must name; "" for the primary key
		}{
			{directory.KindUser, `userName eq "user7@example.com"`, "users_user_name"},
			{directory.KindUser, `externalId eq "00u7"`, "users_external_id"},
			{directory.KindUser, `emails.value eq "user7@example.com"`, "emails"},
			{directory.KindUser, `email eq "user7@example.com"`, "emails"},
			{directory.KindUser, `id eq "00000000-0000-0000-0000-000000000007"`, ""},
			{directory.KindUser, `meta.lastModified gt "2030-01-01T00:00:00Z"`, "users_modified"},
			{directory.KindGroup, `displayName eq "group7"`, "groups_display_name"},
			{directory.KindGroup, `externalId eq "g7"`, "groups_external_id"},
		} {
			e, err := filter.Parse(tc.filter, filter.Limits{})
			if err == nil {
				e, err = filter.Resolve(e, directory.ResourceType(tc.kind))
			}
			if err != nil {
				t.Fatal(err)
			}
			count, page, err := db.ExplainList(t.Context(), acct.ID, tc.kind,
				directory.Query{Filter: e, StartIndex: 1, Count: 100})
			if err != nil {
				t.Fatalf("explain %s: %v", tc.filter, err)
			}
			want := tc.index
			switch want {
			case "":
				want = pk[db.Dialect()]
			case "emails":
				want = emails[db.Dialect()]
			}
			t.Logf("%s\ncount:\n%s\npage:\n%s", tc.filter, count, page)
			for _, plan := range []string{count, page} {
				if !strings.Contains(plan, want) {
					t.Errorf("%s: the plan does not use %s:\n%s", tc.filter, want, plan)
				}
				if db.Dialect() == sqlstore.SQLite && strings.Contains(plan, "SCAN r") {
					t.Errorf("%s: the plan scans the table:\n%s", tc.filter, plan)
				}
			}
		}
	})
}

// seed stores n users, each with two addresses, and n groups.
func seed(t testing.TB, db *sqlstore.DB, accountID string, n int) {
	t.Helper()
	err := db.Write(t.Context(), accountID, func(tx directory.Tx) error {
		for i := range n {
			at := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
			u := &directory.Resource{
				Kind: directory.KindUser, ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
				UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("00u%d", i),
				Email: fmt.Sprintf("user%d@example.com", i), Active: true, Version: 1,
				Created: at, Modified: at,
				Doc: map[string]any{"userName": fmt.Sprintf("user%d@example.com", i),
					"emails": []any{
						map[string]any{"value": fmt.Sprintf("user%d@example.com", i)},
						map[string]any{"value": fmt.Sprintf("u%d@home.example", i)}}},
			}
			g := &directory.Resource{
				Kind: directory.KindGroup, ID: uuid.NewString(),
				DisplayName: fmt.Sprintf("group%d", i), ExternalID: fmt.Sprintf("g%d", i),
				Version: 1, Created: at, Modified: at,
				Doc: map[string]any{"displayName": fmt.Sprintf("group%d", i)},
			}
			if err := tx.Insert(u); err != nil {
				return err
			}
			if err := tx.Insert(g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
