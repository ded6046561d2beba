package mgmtapi_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scimdclient"
)

func TestUsersAndGroups(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	acc, other := e.account("acme"), e.account("other")
	ann := e.create(acc, directory.KindUser, user("ann@acme.test", true))
	bob := e.create(acc, directory.KindUser, user("bob@acme.test", false))
	cat := e.create(acc, directory.KindUser, user("Cat@Acme.test", true))
	e.create(other, directory.KindUser, user("ann@acme.test", true))
	storage := e.create(acc, directory.KindGroup, map[string]any{"displayName": "storage",
		"members": []any{map[string]any{"value": ann}, map[string]any{"value": cat}}})

	yes, no := true, false
	tests := []struct {
		name string
		q    scimdclient.UserQuery
		want []string
	}{
		{"all", scimdclient.UserQuery{}, []string{ann, bob, cat}},
		{"email-any-case", scimdclient.UserQuery{Email: "cat@acme.TEST"}, []string{cat}},
		{"active", scimdclient.UserQuery{Active: &yes}, []string{ann, cat}},
		{"inactive", scimdclient.UserQuery{Active: &no}, []string{bob}},
		{"group", scimdclient.UserQuery{Group: storage}, []string{ann, cat}},
		{"group-and-email", scimdclient.UserQuery{Group: storage, Email: "ann@acme.test"},
			[]string{ann}},
		{"unknown-group", scimdclient.UserQuery{Group: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.client.Users(ctx, acc, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range p.Items {
				got = append(got, u.ID)
			}
			if !slices.Equal(got, tt.want) || p.Total != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, p.Total, tt.want)
			}
		})
	}

	// Paging hands out every user once.
	var seen []string
	for offset := 0; ; {
		p, err := e.client.Users(ctx, acc, scimdclient.UserQuery{Offset: offset, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range p.Items {
			seen = append(seen, u.ID)
		}
		if p.NextOffset == 0 {
			break
		}
		offset = p.NextOffset
	}
	if !slices.Equal(seen, []string{ann, bob, cat}) {
		t.Errorf("paged users: %v", seen)
	}

	u, err := e.client.User(ctx, acc, ann)
	if err != nil || u.UserName != "ann@acme.test" || !u.Active || len(u.Groups) != 1 ||
		u.Groups[0].DisplayName != "storage" || u.Attributes["userName"] != "ann@acme.test" {
		t.Fatalf("user: %+v, %v", u, err)
	}
	if _, err := e.client.User(ctx, other, ann); !scimdclient.IsNotFound(err) {
		t.Errorf("a user through another account: got %v, want 404", err)
	}

	gp, err := e.client.Groups(ctx, acc, scimdclient.GroupQuery{DisplayName: "STORAGE"})
	if err != nil || len(gp.Items) != 1 || gp.Items[0].ID != storage {
		t.Fatalf("groups by name: %+v, %v", gp, err)
	}
	g, err := e.client.Group(ctx, acc, storage)
	if err != nil || g.DisplayName != "storage" {
		t.Fatalf("group: %+v, %v", g, err)
	}

	// Members page by id with a cursor.
	var members []string
	for after := ""; ; {
		p, err := e.client.Members(ctx, acc, storage, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Items {
			members = append(members, m.ID)
		}
		if p.NextAfter == "" {
			break
		}
		after = p.NextAfter
	}
	want := []string{ann, cat}
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("members: %v, want %v", members, want)
	}

	for _, tt := range []struct{ path, code string }{
		{"/accounts/" + acc + "/users?active=maybe", "invalid"},
		{"/accounts/" + acc + "/users?limit=0", "invalid"},
		{"/accounts/" + acc + "/users?offset=-1", "invalid"},
		{"/accounts/" + acc + "/groups/nope/members", "not_found"},
		{"/accounts/nope/users", "not_found"},
	} {
		if _, body := e.call("GET", tt.path, ""); errCode(body) != tt.code {
			t.Errorf("%s: got %v, want %s", tt.path, body, tt.code)
		}
	}
	// A limit above the maximum is clamped, not refused.
	status, body := e.call("GET", fmt.Sprintf("/accounts/%s/users?limit=100000", acc), "")
	if status != 200 {
		t.Errorf("large limit: %d %v", status, body)
	}
}
