package directory_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/scim/patch"
	"github.com/scimd/scimd/sqlstore"
)

// benchService opens a service over SQLite in a temporary directory with
// one account.
func benchService(b *testing.B) (*directory.Service, directory.Actor) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: b.TempDir(), Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc := directory.NewService(db, directory.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	a, err := svc.CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return svc, directory.Actor{AccountID: a.ID, Client: "bench"}
}

func userDoc(i int) map[string]any {
	return map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": fmt.Sprintf("user%d@example.com", i),
		"name":     map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
		"emails":   []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "primary": true}},
	}
}

// seed inserts n users in one transaction, bypassing the service for speed,
// and returns their ids. When groupID is set they all join that group.
func seed(b *testing.B, svc *directory.Service, accountID string, n int, groupID string) []string {
	b.Helper()
	ids := make([]string, n)
	now := time.Now().UTC()
	err := svc.Store().Write(context.Background(), accountID, func(tx directory.Tx) error {
		members := make([]directory.Member, 0, n)
		for i := range ids {
			ids[i] = uuid.NewString()
			name := fmt.Sprintf("seed-%s@example.com", ids[i])
			r := &directory.Resource{
				AccountID: accountID, Kind: directory.KindUser, ID: ids[i], UserName: name,
				Email: name, Active: true, Version: 1, Created: now, Modified: now,
				Doc: map[string]any{"userName": name, "active": true,
					"emails": []any{map[string]any{"value": name}}},
			}
			if err := tx.Insert(r); err != nil {
				return err
			}
			members = append(members, directory.Member{ID: ids[i], Kind: directory.KindUser})
		}
		if groupID == "" {
			return nil
		}
		_, err := tx.AddMembers(groupID, members)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func BenchmarkCreateUser(b *testing.B) {
	svc, actor := benchService(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Create(ctx, actor, directory.KindUser, userDoc(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetUser(b *testing.B) {
	svc, actor := benchService(b)
	ctx := context.Background()
	ids := seed(b, svc, actor.AccountID, 10_000, "")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Get(ctx, actor.AccountID, directory.KindUser, ids[i%len(ids)], false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUserNameLookup is the existence check Okta makes before every
// create: a filter on userName among 10,000 users.
func BenchmarkUserNameLookup(b *testing.B) {
	svc, actor := benchService(b)
	ctx := context.Background()
	seed(b, svc, actor.AccountID, 10_000, "")
	rt := directory.ResourceType(directory.KindUser)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e, err := filter.Parse(fmt.Sprintf(`userName eq "nobody%d@example.com"`, i), filter.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if e, err = filter.Resolve(e, rt); err != nil {
			b.Fatal(err)
		}
		res, err := svc.List(ctx, actor.AccountID, directory.KindUser,
			directory.Query{Filter: e, StartIndex: 1, Count: 100}, false)
		if err != nil || res.Total != 0 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkGroupMemberPatch adds and removes one member of a group by PATCH,
// the way Okta and Entra ID push a membership change. The cost must not grow
// with the group's size.
func BenchmarkGroupMemberPatch(b *testing.B) {
	for _, size := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) {
			svc, actor := benchService(b)
			ctx := context.Background()
			g, err := svc.Create(ctx, actor, directory.KindGroup, map[string]any{
				"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
				"displayName": "big",
			})
			if err != nil {
				b.Fatal(err)
			}
			seed(b, svc, actor.AccountID, size, g.ID)
			extra := seed(b, svc, actor.AccountID, 1, "")[0]
			add := &patch.Request{Operations: []patch.Operation{{Op: patch.Add, Path: "members",
				Value: []any{map[string]any{"value": extra}}}}}
			remove := &patch.Request{Operations: []patch.Operation{{Op: patch.Remove,
				Path: fmt.Sprintf(`members[value eq %q]`, extra)}}}
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.Patch(ctx, actor, directory.KindGroup, g.ID, add, directory.AnyVersion); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.Patch(ctx, actor, directory.KindGroup, g.ID, remove, directory.AnyVersion); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
