package sqlstore_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// forEachEngine runs a benchmark on SQLite and, where it is reachable,
// PostgreSQL, with a fresh database and account for each.
func forEachEngine(b *testing.B, fn func(b *testing.B, db *sqlstore.DB, accountID string)) {
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db, accountID := benchDB(b, d)
			fn(b, db, accountID)
		})
	}
}

// benchDB opens a fresh database with one account.
func benchDB(b *testing.B, d sqlstore.Dialect) (*sqlstore.DB, string) {
	b.Helper()
	db := sqlstoretest.Open(b, d)
	acct := &directory.Account{ID: uuid.NewString(), Name: "bench", CreatedAt: time.Now()}
	if err := db.CreateAccount(b.Context(), acct); err != nil {
		b.Fatal(err)
	}
	return db, acct.ID
}

func benchUser(name string) *directory.Resource {
	now := time.Now()
	return &directory.Resource{
		Kind: directory.KindUser, ID: uuid.NewString(), UserName: name, Email: name,
		Active: true, Version: 1, Created: now, Modified: now,
		Doc: map[string]any{"userName": name, "active": true,
			"emails": []any{map[string]any{"value": name, "primary": true}},
			"name":   map[string]any{"givenName": "Bench", "familyName": name}},
	}
}

// forEachCache is forEachEngine with the sub-benchmarks cache=off and
// cache=on under each engine: every statement parsed as it comes, then
// statements prepared once and reused. Each gets a fresh database, so that
// neither meets a larger or warmer one than the other.
func forEachCache(b *testing.B, fn func(b *testing.B, db *sqlstore.DB, accountID string)) {
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			for _, on := range []bool{false, true} {
				name := "cache=off"
				if on {
					name = "cache=on"
				}
				b.Run(name, func(b *testing.B) {
					db, accountID := benchDB(b, d)
					db.CacheStatements(on)
					fn(b, db, accountID)
				})
			}
		})
	}
}

// BenchmarkInsertUser measures one provisioning write: a user and its
// event, committed durably.
func BenchmarkInsertUser(b *testing.B) {
	forEachCache(b, func(b *testing.B, db *sqlstore.DB, accountID string) {
		i := 0
		for b.Loop() {
			i++
			u := benchUser(fmt.Sprintf("user%d@example.com", i))
			err := db.Write(b.Context(), accountID, func(tx directory.Tx) error {
				if err := tx.Insert(u); err != nil {
					return err
				}
				return tx.Append(&directory.Event{Type: directory.EventUserCreated,
					ResourceType: directory.KindUser, ResourceID: u.ID, Version: 1})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetUser reads one user by id from 1,000.
func BenchmarkGetUser(b *testing.B) {
	forEachCache(b, func(b *testing.B, db *sqlstore.DB, accountID string) {
		seed(b, db, accountID, 1000)
		for b.Loop() {
			_, err := db.Resource(b.Context(), accountID, directory.KindUser,
				"00000000-0000-0000-0000-000000000500")
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUserNameLookup runs the filter every identity provider sends
// before creating a user, over 1,000 users.
func BenchmarkUserNameLookup(b *testing.B) {
	forEachCache(b, func(b *testing.B, db *sqlstore.DB, accountID string) {
		seed(b, db, accountID, 1000)
		e, err := filter.Parse(`userName eq "USER500@example.com"`, filter.Limits{})
		if err == nil {
			e, err = filter.Resolve(e, directory.ResourceType(directory.KindUser))
		}
		if err != nil {
			b.Fatal(err)
		}
		q := directory.Query{Filter: e, StartIndex: 1, Count: 100}
		for b.Loop() {
			page, err := db.List(b.Context(), accountID, directory.KindUser, q)
			if err != nil || page.Total != 1 {
				b.Fatalf("lookup: %v, %d found", err, page.Total)
			}
		}
	})
}

// BenchmarkTokenLookup finds a bearer token by its hash among 100, as every
// SCIM request does before anything else.
func BenchmarkTokenLookup(b *testing.B) {
	forEachCache(b, func(b *testing.B, db *sqlstore.DB, accountID string) {
		var hash []byte
		for i := range 100 {
			sum := sha256.Sum256([]byte(fmt.Sprintf("secret %d", i)))
			hash = sum[:]
			err := db.CreateToken(b.Context(), &directory.Token{ID: uuid.NewString(),
				AccountID: accountID, Label: "bench", Prefix: "scimd_", Hash: hash,
				CreatedAt: time.Now()})
			if err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			if _, err := db.TokenByHash(b.Context(), hash); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAddMember adds one member to a group of 10 and to a group of
// 100,000: the two should cost about the same.
func BenchmarkAddMember(b *testing.B) {
	for _, size := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("group-of-%d", size), func(b *testing.B) {
			forEachEngine(b, func(b *testing.B, db *sqlstore.DB, accountID string) {
				g := &directory.Resource{Kind: directory.KindGroup, ID: uuid.NewString(),
					DisplayName: "big", Version: 1, Created: time.Now(), Modified: time.Now(),
					Doc: map[string]any{"displayName": "big"}}
				members := make([]directory.Member, size)
				for i := range members {
					members[i] = directory.Member{ID: uuid.NewString(), Kind: directory.KindUser}
				}
				err := db.Write(b.Context(), accountID, func(tx directory.Tx) error {
					if err := tx.Insert(g); err != nil {
						return err
					}
					_, err := tx.AddMembers(g.ID, members)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}

				for b.Loop() {
					m := directory.Member{ID: uuid.NewString(), Kind: directory.KindUser}
					err := db.Write(b.Context(), accountID, func(tx directory.Tx) error {
						added, err := tx.AddMembers(g.ID, []directory.Member{m})
						if err == nil && len(added) != 1 {
							err = fmt.Errorf("added %d members, want 1", len(added))
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
