package sqlstore_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestCommitConnectionCut runs Write through a proxy that cuts the
// connection at COMMIT, as a crash or a network failure does, so that the
// driver's own errors take the path the fault hook of TestCommitOutcome
// stands in for.
func TestCommitConnectionCut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cut    sqlstoretest.CommitCut
		want   error
		stored bool
	}{
		{"ack-lost", sqlstoretest.LoseAck, nil, true},
		{"commit-lost", sqlstoretest.DropCommit, directory.ErrUnavailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := sqlstoretest.SchemaURL(t)
			u, err := url.Parse(schema)
			if err != nil {
				t.Fatal(err)
			}
			p := sqlstoretest.NewCommitProxy(t, u.Host)
			db, err := sqlstore.Open(t.Context(), sqlstore.Config{URL: p.URL(schema),
				Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			a := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
			if err := db.CreateAccount(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			user := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
				UserName: "cut@example.com", Active: true,
				Doc: map[string]any{"userName": "cut@example.com"}}

			p.Arm(tc.cut, nil)
			calls := 0
			err = db.Write(t.Context(), a.ID, func(tx directory.Tx) error {
				calls++
				if err := tx.Insert(user); err != nil {
					return err
				}
				return tx.Append(&directory.Event{Type: directory.EventUserCreated,
					ResourceType: directory.KindUser, ResourceID: user.ID, Version: 1})
			})
			if p.Armed() {
				t.Fatal("the proxy saw no COMMIT")
			}
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Write = %v, want %v", err, tc.want)
			}
			if calls != 1 {
				t.Errorf("fn ran %d times, want once", calls)
			}
			_, err = db.Resource(t.Context(), a.ID, directory.KindUser, user.ID)
			switch {
			case tc.stored && err != nil:
				t.Errorf("user not stored: %v", err)
			case !tc.stored && !errors.Is(err, directory.ErrNotFound):
				t.Errorf("user stored (read error %v), want nothing stored", err)
			}
		})
	}
}
