package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/scim"
)

// A token reaches exactly one account: another account's token sees none of
// its users or groups and can change none of them, whichever way it asks.
func TestAccountIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		a := s.client
		user := a.post("/Users", newUser("ada@example.com")).want(t, http.StatusCreated)
		uid := user.str("/id")
		group := a.post("/Groups", newGroup("Analytical Engines", uid)).want(t, http.StatusCreated)
		gid := group.str("/id")
		before := snapshot(t, a)

		_, b := s.newAccount("globex")
		b.t = t

		t.Run("read", func(t *testing.T) {
			for _, path := range []string{"/Users/" + uid, "/Groups/" + gid} {
				b.get(path).wantError(t, http.StatusNotFound, "", "not found")
			}
			for _, path := range []string{
				"/Users",
				"/Groups",
				query("/Users", "filter", `userName eq "ada@example.com"`),
				query("/Users", "filter", `id eq "`+uid+`"`),
				query("/Users", "filter", `emails.value eq "ada@example.com"`),
				query("/Groups", "filter", `displayName eq "Analytical Engines"`),
				query("/Groups", "filter", `members.value eq "`+uid+`"`),
			} {
				r := b.get(path).want(t, http.StatusOK)
				if n := r.num(t, "/totalResults"); n != 0 || len(r.ids()) != 0 {
					t.Errorf("GET %s as another account: %d results %v, want none", path, n, r.ids())
				}
			}
			search := map[string]any{"schemas": []string{scim.SearchRequestSchema}}
			for _, path := range []string{"/.search", "/Users/.search", "/Groups/.search"} {
				r := b.post(path, search).want(t, http.StatusOK)
				if n := r.num(t, "/totalResults"); n != 0 {
					t.Errorf("POST %s as another account: %d results, want none", path, n)
				}
			}
		})

		t.Run("write", func(t *testing.T) {
			deactivate := patchOp(op("replace", "", map[string]any{"active": false}))
			rename := patchOp(op("replace", "displayName", "Mine"))
			b.put("/Users/"+uid, newUser("ada@example.com")).
				wantError(t, http.StatusNotFound, "", uid)
			b.patch("/Users/"+uid, deactivate).wantError(t, http.StatusNotFound, "", uid)
			b.del("/Users/"+uid).wantError(t, http.StatusNotFound, "", uid)
			b.put("/Groups/"+gid, newGroup("Mine")).wantError(t, http.StatusNotFound, "", gid)
			b.patch("/Groups/"+gid, rename).wantError(t, http.StatusNotFound, "", gid)
			b.del("/Groups/"+gid).wantError(t, http.StatusNotFound, "", gid)
		})

		t.Run("member-from-other-account", func(t *testing.T) {
			own := b.post("/Groups", newGroup("Globex Staff")).want(t, 201).str("/id")

			add := patchOp(op("add", "members", members(uid)))
			b.patch("/Groups/"+own, add).wantError(t, http.StatusBadRequest, "invalidValue", uid)
			if r := b.get("/Groups/"+own).want(t, http.StatusOK); r.doc["members"] != nil {
				t.Errorf("group got members %v from a refused PATCH", r.doc["members"])
			}

			b.post("/Groups", newGroup("Globex Poachers", uid)).
				wantError(t, http.StatusBadRequest, "invalidValue", uid)
			if r := b.get("/Groups").want(t, http.StatusOK); r.num(t, "/totalResults") != 1 {
				t.Errorf("a refused POST stored a group: %v", r.ids())
			}
		})

		t.Run("same-userName-in-another-account", func(t *testing.T) {
			// Uniqueness is per account: two customers may both have an ada.
			b.post("/Users", newUser("ada@example.com")).want(t, http.StatusCreated)
		})

		// Nothing of the first account changed, not even its versions.
		if after := snapshot(t, a); after != before {
			t.Errorf("the first account's data changed:\nbefore %s\nafter  %s", before, after)
		}
		r := a.get("/Groups/"+gid).want(t, http.StatusOK)
		if got, _ := lookup(r.doc, "/members/*/value"); !sameJSON(got, []any{uid}, true) {
			t.Errorf("members of the first account's group are %v, want [%s]", got, uid)
		}
	})
}
