package console_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// BenchmarkGroupPage renders a group's page, with its first page of members
// and recent changes, for a group of 10 and one of 100,000 members. Members
// are read by keyset pages, so the page costs about the same for both.
func BenchmarkGroupPage(b *testing.B) {
	for _, size := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) {
			e := newEnv(b)
			a := e.account("Acme")
			e.admin("admin@acme.example", a.ID)
			g := e.group(a.ID, "Everyone")
			seedMembers(b, e, a.ID, g.ID, size)
			br := e.browser()
			br.signIn("admin@acme.example")
			page := "/accounts/" + a.ID + "/groups/" + g.ID

			for b.Loop() {
				if resp, body := br.get(page); resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d\n%s", page, resp.StatusCode, body)
				}
			}
		})
	}
}

// seedMembers adds n new users to a group in one transaction.
func seedMembers(b *testing.B, e *env, accountID, groupID string, n int) {
	b.Helper()
	now := time.Now().UTC()
	err := e.db.Write(context.Background(), accountID, func(tx directory.Tx) error {
		members := make([]directory.Member, n)
		for i := range members {
			id := uuid.NewString()
			name := fmt.Sprintf("m%d@acme.example", i)
			r := &directory.Resource{AccountID: accountID, Kind: directory.KindUser, ID: id,
				UserName: name, Active: true, Version: 1, Created: now, Modified: now,
				Doc: map[string]any{"userName": name, "active": true}}
			if err := tx.Insert(r); err != nil {
				return err
			}
			members[i] = directory.Member{ID: id, Kind: directory.KindUser}
		}
		_, err := tx.AddMembers(groupID, members)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
