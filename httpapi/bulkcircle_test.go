package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/scim"
)

// groupNaming returns a Group document whose members are the groups the
// given bulkIds create.
func groupNaming(displayName string, bulkIDs ...string) map[string]any {
	g := newGroup(displayName)
	list := make([]any, len(bulkIDs))
	for i, id := range bulkIDs {
		list[i] = map[string]any{"value": scim.BulkIDPrefix + id, "type": "Group"}
	}
	g["members"] = list
	return g
}

// userManagedBy returns a User document whose enterprise manager is the
// user the given bulkId creates.
func userManagedBy(userName, bulkID string) map[string]any {
	u := newUser(userName)
	u[scim.EnterpriseUserSchema] = map[string]any{"department": "Ops",
		"manager": map[string]any{"value": scim.BulkIDPrefix + bulkID}}
	return u
}

// wantStored checks that the resource a result names is stored at the
// version the result gives, and returns it.
func wantStored(t *testing.T, c *client, r result) *response {
	t.Helper()
	got := c.get(r.Location[len(c.baseURL()):]).want(t, http.StatusOK)
	if etag := got.header.Get("ETag"); etag != r.Version {
		t.Errorf("%s: ETag %q, the bulk result said %q", r.Location, etag, r.Version)
	}
	return got
}

// wantMembers checks the member ids of a stored group.
func wantMembers(t *testing.T, g *response, ids ...string) {
	t.Helper()
	want := make([]any, len(ids))
	for i, id := range ids {
		want[i] = id
	}
	got, _ := lookup(g.doc, "/members/*/value")
	if len(ids) == 0 && got == nil {
		return
	}
	if !sameJSON(got, want, true) {
		t.Errorf("group %s: members %v, want %v", g.str("/displayName"), got, want)
	}
}

// POSTs whose references go round in a circle are created without those
// references, which are added after (RFC 7644 §3.7.1): what is stored is
// what the request asked for, and each result is its POST's, at the
// version after the references were added. Operations that wait for the
// circle run after it.
func TestBulkCircleOfGroups(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		res := bulk(t, c, bulkReq(0,
			bulkOp("PATCH", "/Groups/bulkId:a", "", patchOp(op("replace", "displayName", "A2"))),
			bulkOp("POST", "/Groups", "a", groupNaming("A", "b")),
			bulkOp("POST", "/Groups", "b", groupNaming("B", "a")),
			bulkOp("POST", "/Users", "u", newUser("u@example.com")),
		))
		wantResults(t, res, 4)
		a := res[1].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		b := res[2].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		res[3].wantOK(t, c, "POST", "/Users", http.StatusCreated)
		if got := res[0].wantOK(t, c, "PATCH", "/Groups", http.StatusNoContent); got != a {
			t.Errorf("the waiting PATCH changed %q, want group a %q", got, a)
		}
		if res[1].Version != `W/"2"` {
			t.Errorf("group a at %q after its PATCH result, want W/\"2\" (created, linked)",
				res[1].Version)
		}

		wantMembers(t, wantStored(t, c, res[2]), a)
		ga := c.get("/Groups/"+a).want(t, http.StatusOK)
		wantMembers(t, ga, b)
		if name := ga.str("/displayName"); name != "A2" {
			t.Errorf("group a named %q: the PATCH that waited for it did not run after", name)
		}
	})
}

// Two users that name each other as enterprise manager are both created
// with their manager set, and keep the rest of the extension.
func TestBulkCircleOfManagers(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Users", "ann", userManagedBy("ann@example.com", "bea")),
			bulkOp("POST", "/Users", "bea", userManagedBy("bea@example.com", "ann")),
		))
		wantResults(t, res, 2)
		ann := res[0].wantOK(t, c, "POST", "/Users", http.StatusCreated)
		bea := res[1].wantOK(t, c, "POST", "/Users", http.StatusCreated)

		ext := "/" + scim.EnterpriseUserSchema
		for _, tc := range []struct {
			r       result
			manager string
		}{{res[0], bea}, {res[1], ann}} {
			u := wantStored(t, c, tc.r)
			if got := u.str(ext + "/manager/value"); got != tc.manager {
				t.Errorf("%s: manager %q, want %q", u.str("/userName"), got, tc.manager)
			}
			if got := u.str(ext + "/department"); got != "Ops" {
				t.Errorf("%s: department %q, want Ops", u.str("/userName"), got)
			}
		}
	})
}

// A circle of three, a group on it that names another group as well, a
// group that names itself, and a POST that only waits for the circle.
func TestBulkCircleOfThree(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Groups", "w", groupNaming("Waits", "x")),
			bulkOp("POST", "/Groups", "x", groupNaming("X", "y", "w")),
			bulkOp("POST", "/Groups", "y", groupNaming("Y", "z")),
			bulkOp("POST", "/Groups", "z", groupNaming("Z", "x")),
			bulkOp("POST", "/Groups", "self", groupNaming("Self", "self")),
		))
		wantResults(t, res, 5)
		ids := map[string]string{}
		for i, name := range []string{"w", "x", "y", "z"} {
			ids[name] = res[i].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		}
		for i, want := range [][]string{{ids["x"]}, {ids["y"], ids["w"]}, {ids["z"]},
			{ids["x"]}} {
			wantMembers(t, wantStored(t, c, res[i]), want...)
		}

		// A group cannot be its own member, as a single PATCH would be told;
		// the group exists, and the result says where.
		res[4].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", "member of itself")
		res[4].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", "the resource exists")
		if res[4].Location == "" {
			t.Fatal("the self-naming group exists but its result has no location")
		}
		wantMembers(t, wantStored(t, c, res[4]))
	})
}

// When a POST on a circle fails, those created before it exist with every
// value but the ones naming it, and report 409 with their location; those
// after it that name it fail as a reference to a failed POST does.
func TestBulkCircleWithFailure(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		bad := groupNaming("", "a")
		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Groups", "a", groupNaming("A", "b", "c")),
			bulkOp("POST", "/Groups", "b", bad),
			bulkOp("POST", "/Groups", "c", groupNaming("C", "a")),
			bulkOp("POST", "/Groups", "d", groupNaming("D", "e", "b")),
			bulkOp("POST", "/Groups", "e", groupNaming("E", "d")),
		))
		wantResults(t, res, 5)
		res[0].wantErr(t, "POST", http.StatusConflict, "",
			`without the values that refer to "bulkId:b": Operations[1]`)
		res[0].wantErr(t, "POST", http.StatusConflict, "", "the resource exists")
		res[1].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", "displayName")
		if res[1].Location != "" {
			t.Errorf("the failed POST has location %q", res[1].Location)
		}
		cid := res[2].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		a := wantStored(t, c, res[0])
		wantMembers(t, a, cid)
		wantMembers(t, c.get("/Groups/"+cid).want(t, http.StatusOK), a.str("/id"))

		// d names b, which failed by the time d runs: d is never created,
		// and e, which waited for d, fails as it would outside a circle.
		res[3].wantErr(t, "POST", http.StatusConflict, "",
			`"bulkId:b" stands for no resource: Operations[1]`)
		res[4].wantErr(t, "POST", http.StatusConflict, "",
			`"bulkId:d" stands for no resource: Operations[3]`)
		if n := c.get("/Groups").want(t, http.StatusOK).num(t, "/totalResults"); n != 2 {
			t.Errorf("%d groups stored, want a and c", n)
		}

		// failOnErrors stops the POSTs, and r, which waits for the circle,
		// never runs; p, already created, still gets a result that says it
		// exists.
		res = bulk(t, c, bulkReq(1,
			bulkOp("POST", "/Groups", "p", groupNaming("P", "q")),
			bulkOp("POST", "/Groups", "q", groupNaming("", "p")),
			bulkOp("POST", "/Groups", "r", groupNaming("R", "p")),
		))
		wantResults(t, res, 2)
		res[0].wantErr(t, "POST", http.StatusConflict, "", "the resource exists")
		res[1].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", "displayName")
		wantMembers(t, wantStored(t, c, res[0]))
	})
}
