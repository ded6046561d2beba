package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// user creates a user through the service, as a SCIM request from Okta would.
func (e *env) user(accountID, userName, display string, active bool) *directory.View {
	e.t.Helper()
	v, err := e.svc.Create(context.Background(), directory.Actor{AccountID: accountID,
		Client: "Okta"}, directory.KindUser, map[string]any{
		"schemas":     []any{scim.UserSchema},
		"userName":    userName,
		"displayName": display,
		"active":      active,
		"emails":      []any{map[string]any{"value": userName, "primary": true}},
	})
	if err != nil {
		e.t.Fatalf("create user %q: %v", userName, err)
	}
	return v
}

func (e *env) group(accountID, name string, memberIDs ...string) *directory.View {
	e.t.Helper()
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	v, err := e.svc.Create(context.Background(), directory.Actor{AccountID: accountID,
		Client: "Okta"}, directory.KindGroup, map[string]any{
		"schemas":     []any{scim.GroupSchema},
		"displayName": name,
		"members":     members,
	})
	if err != nil {
		e.t.Fatalf("create group %q: %v", name, err)
	}
	return v
}

func TestUsersPage(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	alice := e.user(a.ID, "alice@acme.example", "Alice Liddell", true)
	e.user(a.ID, "bob@acme.example", "Bob Builder", true)
	e.user(a.ID, "carol@acme.example", "Carol Gone", false)
	eng := e.group(a.ID, "Engineering", alice.ID)
	b := e.browser()
	b.signIn("admin@acme.example")
	base := "/accounts/" + a.ID + "/users"

	tests := []struct {
		name, query string
		has, hasNot []string
	}{
		{"all", "", []string{"alice@", "bob@", "carol@", "1–3 of 3"}, nil},
		{"by-name", "?q=liddell", []string{"alice@", "1–1 of 1"}, []string{"bob@", "carol@"}},
		{"by-email-any-case", "?q=BOB%40", []string{"bob@"}, []string{"alice@"}},
		{"active", "?status=active", []string{"alice@", "bob@"}, []string{"carol@"}},
		{"deactivated", "?status=deactivated", []string{"carol@", "Deactivated"},
			[]string{"alice@"}},
		{"none", "?q=zzz", []string{"No user matches."}, []string{"alice@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.get(base + tt.query)
			want(t, resp, body, http.StatusOK, tt.has...)
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("the page shows %q", s)
				}
			}
		})
	}

	for _, tt := range []struct{ query, msg string }{
		{"?page=0", "between 1 and"},
		{"?page=x", "between 1 and"},
		{"?status=gone", "active or deactivated"},
		{"?q=" + strings.Repeat("x", 201), "at most 200 characters"},
	} {
		resp, body := b.get(base + tt.query)
		want(t, resp, body, http.StatusBadRequest, tt.msg)
	}

	// A user's page shows the stored attributes, groups and changes.
	resp, body := b.get(base + "/" + alice.ID)
	want(t, resp, body, http.StatusOK, "<h1>alice@acme.example</h1>", "Alice Liddell",
		"emails[1].value", "Engineering", "/groups/"+eng.ID, "user.created", "Okta")
	resp, body = b.get(base + "/nope")
	want(t, resp, body, http.StatusNotFound)
}

func TestUsersPaging(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	for i := range 55 {
		e.user(a.ID, fmt.Sprintf("user%02d@acme.example", i), "", true)
	}
	b := e.browser()
	b.signIn("admin@acme.example")
	resp, body := b.get("/accounts/" + a.ID + "/users")
	want(t, resp, body, http.StatusOK, "1–50 of 55", "page=2", "Next page")
	first := strings.Count(body, "@acme.example</a>")
	resp, body = b.get("/accounts/" + a.ID + "/users?page=2")
	want(t, resp, body, http.StatusOK, "51–55 of 55", "Previous page")
	if first != 50 || strings.Count(body, "@acme.example</a>") != 5 {
		t.Errorf("pages hold %d and %d users, want 50 and 5", first,
			strings.Count(body, "@acme.example</a>"))
	}
	if strings.Contains(body, "Next page") {
		t.Error("the last page links to a next page")
	}
}

func TestGroupMembersPaging(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	var ids []string
	for i := range 130 {
		ids = append(ids, e.user(a.ID, fmt.Sprintf("m%03d@acme.example", i), "", true).ID)
	}
	g := e.group(a.ID, "Everyone", ids...)
	e.group(a.ID, "Empty")
	b := e.browser()
	b.signIn("admin@acme.example")

	resp, body := b.get("/accounts/" + a.ID + "/groups?q=every")
	want(t, resp, body, http.StatusOK, "Everyone", "1–1 of 1")
	if strings.Contains(body, "Empty") {
		t.Error("the group search shows a group that does not match")
	}

	// Two pages of members, each a keyset page, 130 in all, none twice.
	seen := map[string]bool{}
	next := "/accounts/" + a.ID + "/groups/" + g.ID
	for pages := 0; next != ""; pages++ {
		if pages > 2 {
			t.Fatal("more member pages than expected")
		}
		resp, body = b.get(next)
		want(t, resp, body, http.StatusOK, "<h1>Everyone</h1>", "group.member_added")
		for _, id := range ids {
			if strings.Contains(body, "/users/"+id+`"`) {
				if seen[id] {
					t.Errorf("member %s on two pages", id)
				}
				seen[id] = true
			}
		}
		next = ""
		if i := strings.Index(body, "?after="); i >= 0 {
			after := body[i+len("?after=") : i+strings.Index(body[i:], `"`)]
			next = "/accounts/" + a.ID + "/groups/" + g.ID + "?after=" + after
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("the pages show %d of %d members", len(seen), len(ids))
	}
}

func TestActivityPage(t *testing.T) {
	e := newEnv(t)
	a := e.account("Acme")
	e.admin("admin@acme.example", a.ID)
	ctx := context.Background()
	now := e.clock.Now()
	var entries []*directory.ActivityEntry
	for i := range 60 {
		entry := &directory.ActivityEntry{AccountID: a.ID, Time: now.Add(time.Duration(i) *
			time.Second), Client: "Okta", Method: "GET", Path: fmt.Sprintf("/Users/%d", i),
			Status: 200, Latency: 3 * time.Millisecond, RequestID: fmt.Sprintf("req-%d", i)}
		if i%20 == 0 {
			entry.Method, entry.Status, entry.ScimType = "POST", 409, "uniqueness"
			entry.Detail = "userName \"dup@acme.example\" is taken"
		}
		entries = append(entries, entry)
	}
	if err := e.db.InsertActivity(ctx, entries); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("admin@acme.example")
	base := "/accounts/" + a.ID + "/activity"

	resp, body := b.get(base)
	want(t, resp, body, http.StatusOK, "Provisioning activity", "/Users/59",
		"✗ Failed 409 uniqueness", "is taken", `class="failed"`, "Older requests")
	if strings.Contains(body, "/Users/9<") {
		t.Error("the first page shows an entry of the second")
	}
	resp, body = b.get(base + "?failures=1")
	want(t, resp, body, http.StatusOK, "/Users/40", "/Users/20", "/Users/0<")
	if strings.Contains(body, "/Users/59") || strings.Count(body, `class="failed"`) != 3 {
		t.Errorf("failures only shows other requests:\n%s", body)
	}
	older := "/accounts/" + a.ID + "/activity?" + url.Values{"before": {
		fmt.Sprint(entries[10].ID)}}.Encode()
	resp, body = b.get(older)
	want(t, resp, body, http.StatusOK, "/Users/9<", "/Users/0<")
	resp, body = b.get(base + "?before=-3")
	want(t, resp, body, http.StatusBadRequest, "not a positive number")

	// The SSO page tells when the identity provider was last heard from.
	resp, body = b.get("/accounts/" + a.ID + "/sso")
	want(t, resp, body, http.StatusOK, "last SCIM request")
}
