package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestManyEmails checks that every address of a user is found by an
// emails.value filter, however many the user has: the index is written in
// batches, not cut at the size of one batch.
func TestManyEmails(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		ctx, db := context.Background(), open(t)
		acct := &directory.Account{ID: "a1", Name: "acme", CreatedAt: time.Now()}
		if err := db.CreateAccount(ctx, acct); err != nil {
			t.Fatal(err)
		}
		emails := make([]any, 700)
		for i := range emails {
			emails[i] = map[string]any{"value": fmt.Sprintf("ada%d@example.com", i)}
		}
		now := time.Now().UTC()
		err := db.Write(ctx, acct.ID, func(tx directory.Tx) error {
			return tx.Insert(&directory.Resource{AccountID: acct.ID, Kind: directory.KindUser,
				ID: "u1", UserName: "ada", Email: "ada0@example.com", Active: true, Version: 1,
				Created: now, Modified: now,
				Doc: map[string]any{"userName": "ada", "active": true, "emails": emails}})
		})
		if err != nil {
			t.Fatal(err)
		}
		rt := directory.ResourceType(directory.KindUser)
		for _, addr := range []string{"ada0@example.com", "ADA650@example.com", "ada699@example.com"} {
			e, err := filter.Parse(fmt.Sprintf("emails.value eq %q", addr), filter.Limits{})
			if err == nil {
				e, err = filter.Resolve(e, rt)
			}
			if err != nil {
				t.Fatal(err)
			}
			page, err := db.List(ctx, acct.ID, directory.KindUser,
				directory.Query{Filter: e, StartIndex: 1, Count: 10})
			if err != nil || page.Total != 1 {
				t.Errorf("emails.value eq %q: total %v, %v; want the user", addr, page, err)
			}
		}
	})
}
