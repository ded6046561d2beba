package directory_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestListMembersBound checks that one list of groups cannot make the
// server read more members than its bound, while a group read alone, a list
// without members and a smaller page still work.
func TestListMembersBound(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	svc := directory.NewService(db, directory.WithMaxListMembers(3),
		directory.WithLogger(slog.New(slog.DiscardHandler)))
	acct, err := svc.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{AccountID: acct.ID, Client: "Okta"}
	var members []any
	for i := range 2 {
		u, err := svc.Create(ctx, actor, directory.KindUser, map[string]any{
			"schemas": []any{scim.UserSchema}, "userName": fmt.Sprintf("u%d@example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, map[string]any{"value": u.ID})
	}
	var first string
	for _, name := range []string{"a", "b"} {
		g, err := svc.Create(ctx, actor, directory.KindGroup, map[string]any{
			"schemas": []any{scim.GroupSchema}, "displayName": name, "members": members})
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = g.ID
		}
	}

	all := directory.Query{StartIndex: 1, Count: 10}
	_, err = svc.List(ctx, acct.ID, directory.KindGroup, all, true)
	se, ok := scim.AsError(err)
	if !ok || se.Status != http.StatusBadRequest || se.Type != scim.ErrTooMany {
		t.Fatalf("two groups of two members each, bound 3: %v, want 400 tooMany", err)
	}

	for _, tt := range []struct {
		name        string
		q           directory.Query
		withMembers bool
		members     int
	}{
		{"without-members", all, false, 0},
		{"one-group", directory.Query{StartIndex: 1, Count: 1}, true, 2},
	} {
		res, err := svc.List(ctx, acct.ID, directory.KindGroup, tt.q, tt.withMembers)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		n := 0
		for _, v := range res.Views {
			n += len(v.Members)
		}
		if res.Total != 2 || n != tt.members {
			t.Errorf("%s: total %d, %d members; want 2 and %d", tt.name, res.Total, n,
				tt.members)
		}
	}
	if v, err := svc.Get(ctx, acct.ID, directory.KindGroup, first, true); err != nil ||
		len(v.Members) != 2 {
		t.Errorf("a group read alone: %v, %v; want its 2 members", v, err)
	}
}
