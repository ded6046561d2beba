package httpapi_test

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// A 201 names the new resource in Location and meta.location (RFC 7644
// §3.3), and every response carrying a resource has an ETag equal to its
// meta.version (§3.14).
func TestLocationAndETag(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		for _, base := range httpapi.Bases {
			c := s.client.under(base)
			for _, tc := range []struct {
				endpoint string
				doc      map[string]any
			}{
				{"/Users", newUser("loc" + strings.ReplaceAll(base, "/", "-") + "@example.com")},
				{"/Groups", newGroup("Group under " + base)},
			} {
				r := c.post(tc.endpoint, tc.doc).want(t, http.StatusCreated)
				want := c.baseURL() + tc.endpoint + "/" + r.str("/id")
				if got := r.header.Get("Location"); got != want {
					t.Errorf("POST %s: Location %q, want %q", tc.endpoint, got, want)
				}
				if got := r.str("/meta/location"); got != want {
					t.Errorf("POST %s: meta.location %q, want %q", tc.endpoint, got, want)
				}
				if got := r.header.Get("ETag"); got == "" || got != r.str("/meta/version") {
					t.Errorf("POST %s: ETag %q, meta.version %q", tc.endpoint, got, r.str("/meta/version"))
				}
				if ct := r.header.Get("Content-Type"); ct != httpapi.ContentType {
					t.Errorf("POST %s: Content-Type %q", tc.endpoint, ct)
				}

				g := c.get(tc.endpoint+"/"+r.str("/id")).want(t, http.StatusOK)
				if got := g.header.Get("ETag"); got == "" || got != g.str("/meta/version") {
					t.Errorf("GET: ETag %q, meta.version %q", got, g.str("/meta/version"))
				}
				if got := g.str("/meta/location"); got != want {
					t.Errorf("GET: meta.location %q, want %q", got, want)
				}
			}
		}
	})
}

// If-None-Match answers 304 for the current version; If-Match refuses a
// write to another version with 412 and leaves the resource as it was.
func TestConditionalRequests(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		r := c.post("/Users", newUser("etag@example.com")).want(t, http.StatusCreated)
		path := "/Users/" + r.str("/id")
		v1 := r.header.Get("ETag")

		nm := c.do("GET", path, nil, "If-None-Match", v1).want(t, http.StatusNotModified)
		if len(nm.body) != 0 || nm.header.Get("ETag") != v1 {
			t.Errorf("304: body %q, ETag %q; want no body and ETag %s",
				nm.body, nm.header.Get("ETag"), v1)
		}
		c.do("GET", path, nil, "If-None-Match", `W/"99", `+v1).want(t, http.StatusNotModified)
		c.do("GET", path, nil, "If-None-Match", `W/"99"`).want(t, http.StatusOK)

		// A write to version 1 succeeds and makes version 2.
		deactivate := patchOp(op("replace", "active", false))
		p := c.do("PATCH", path, deactivate, "If-Match", v1).want(t, http.StatusOK)
		v2 := p.header.Get("ETag")
		if v2 == v1 || v2 != p.str("/meta/version") {
			t.Fatalf("after a change: ETag %q (was %q), meta.version %q", v2, v1, p.str("/meta/version"))
		}
		c.do("GET", path, nil, "If-None-Match", v1).want(t, http.StatusOK)

		// Writes to the old version, or to a tag scimd never made, are refused.
		before := c.get(path).want(t, http.StatusOK)
		stale := []struct {
			method string
			body   any
			tag    string
		}{
			{"PUT", newUser("etag-put@example.com"), v1},
			{"PATCH", patchOp(op("replace", "title", "x")), v1},
			{"DELETE", nil, v1},
			{"PATCH", deactivate, `"not-a-version"`},
		}
		for _, tc := range stale {
			c.do(tc.method, path, tc.body, "If-Match", tc.tag).
				wantError(t, http.StatusPreconditionFailed, "", "read")
		}
		after := c.get(path).want(t, http.StatusOK)
		if string(after.body) != string(before.body) {
			t.Errorf("a refused conditional write changed the user:\nbefore %s\nafter  %s",
				before.body, after.body)
		}

		// "*" matches any version.
		c.do("DELETE", path, nil, "If-Match", "*").want(t, http.StatusNoContent)
		c.get(path).want(t, http.StatusNotFound)
	})
}

// A password is accepted on create and replace, and never returned
// (RFC 7643 §4.1.1: returned "never"), not even when asked for by name.
func TestPasswordNeverReturned(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		u := newUser("secret@example.com")
		u["password"] = "correct horse battery staple"
		r := c.post("/Users", u).want(t, http.StatusCreated)
		id := r.str("/id")
		resps := []*response{r,
			c.get("/Users/"+id).want(t, http.StatusOK),
			c.get("/Users/"+id+"?attributes=password,userName").want(t, http.StatusOK),
			c.put("/Users/"+id, u).want(t, http.StatusOK),
			c.patch("/Users/"+id, patchOp(op("replace", "password", "another"))).want(t, 200),
			c.get("/Users").want(t, http.StatusOK),
			c.get(query("/Users", "attributes", "password")).want(t, http.StatusOK),
		}
		for _, r := range resps {
			body := string(r.body)
			if strings.Contains(body, "password") || strings.Contains(body, "horse") {
				t.Errorf("%s %s returned the password: %s", r.method, r.path, r.body)
			}
		}
	})
}

// A user's groups attribute is read from the memberships: it follows every
// change to them, and a client cannot write it.
func TestUserGroupsAttribute(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		uid := c.post("/Users", newUser("member@example.com")).want(t, 201).str("/id")
		g1 := c.post("/Groups", newGroup("Readers", uid)).want(t, http.StatusCreated).str("/id")
		g2 := c.post("/Groups", newGroup("Writers")).want(t, http.StatusCreated).str("/id")
		c.patch("/Groups/"+g2, patchOp(op("add", "members", members(uid)))).want(t, 204)

		groupsOf := func() (ids, names []any) {
			t.Helper()
			r := c.get("/Users/"+uid).want(t, http.StatusOK)
			i, _ := lookup(r.doc, "/groups/*/value")
			n, _ := lookup(r.doc, "/groups/*/display")
			return i.([]any), n.([]any)
		}
		ids, names := groupsOf()
		want := []any{"Readers", "Writers"}
		if !sameJSON(ids, []any{g1, g2}, true) || !sameJSON(names, want, true) {
			t.Errorf("groups %v %v, want both groups", ids, names)
		}
		r := c.get("/Users/" + uid)
		if got, _ := lookup(r.doc, "/groups/*/$ref"); !sameJSON(got,
			[]any{c.baseURL() + "/Groups/" + g1, c.baseURL() + "/Groups/" + g2}, true) {
			t.Errorf("groups $ref %v", got)
		}

		// A renamed group shows its new name; a deleted one disappears.
		c.patch("/Groups/"+g2, patchOp(op("replace", "displayName", "Editors"))).want(t, 204)
		c.del("/Groups/"+g1).want(t, http.StatusNoContent)
		ids, names = groupsOf()
		if !sameJSON(ids, []any{g2}, true) || !sameJSON(names, []any{"Editors"}, true) {
			t.Errorf("groups %v %v, want only the renamed group", ids, names)
		}

		// groups is readOnly: a PUT that sends it is accepted and ignored.
		u := newUser("member@example.com")
		u["groups"] = []any{map[string]any{"value": g1}}
		c.put("/Users/"+uid, u).want(t, http.StatusOK)
		if ids, _ := groupsOf(); !sameJSON(ids, []any{g2}, true) {
			t.Errorf("after a PUT with groups: %v, want the memberships unchanged", ids)
		}
	})
}

// attributes and excludedAttributes (RFC 7644 §3.4.2.5) shape the
// responses of GET, list, .search and POST; id and schemas always come back.
func TestAttributeProjection(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		u := newUser("shape@example.com")
		u["title"] = "Cartographer"
		u[scim.EnterpriseUserSchema] = map[string]any{"department": "Maps", "costCenter": "42"}
		created := c.post(query("/Users", "attributes", "userName"), u).want(t, http.StatusCreated)
		id := created.str("/id")
		keys(t, created, "id", "schemas", "userName")

		keys(t, c.get(query("/Users/"+id, "attributes", "userName,name.givenName")).want(t, 200),
			"id", "schemas", "userName", "name")
		r := c.get(query("/Users/"+id, "attributes", "name.givenName")).want(t, 200)
		if got := r.doc["name"]; !reflect.DeepEqual(got, map[string]any{"givenName": "Given"}) {
			t.Errorf("attributes=name.givenName: name is %v", got)
		}
		excl := "emails,name," + scim.EnterpriseUserSchema
		r = c.get(query("/Users/"+id, "excludedAttributes", excl)).want(t, 200)
		keys(t, r, "id", "schemas", "userName", "title", "active", "meta")
		r = c.get(query("/Users/"+id, "attributes", scim.EnterpriseUserSchema+":department"))
		r.want(t, 200)
		if got := r.str("/" + scim.EnterpriseUserSchema + "/department"); got != "Maps" {
			t.Errorf("extension attribute by URN: %s", r.body)
		}
		if _, ok := lookup(r.doc, "/"+scim.EnterpriseUserSchema+"/costCenter"); ok {
			t.Errorf("costCenter returned though not asked for: %s", r.body)
		}

		list := c.get(query("/Users", "attributes", "userName")).want(t, 200)
		for _, res := range list.doc["Resources"].([]any) {
			keys(t, &response{method: "GET", path: "/Users", doc: res.(map[string]any)},
				"id", "schemas", "userName")
		}
		search := c.post("/Users/.search", map[string]any{
			"schemas":            []string{scim.SearchRequestSchema},
			"excludedAttributes": []string{"emails", "name", "meta", scim.EnterpriseUserSchema},
		}).want(t, 200)
		for _, res := range search.doc["Resources"].([]any) {
			keys(t, &response{method: "POST", path: "/Users/.search", doc: res.(map[string]any)},
				"id", "schemas", "userName", "title", "active")
		}
	})
}

// keys checks the top-level attribute names of a resource.
func keys(t *testing.T, r *response, want ...string) {
	t.Helper()
	got := map[string]bool{}
	for k := range r.doc {
		got[k] = true
	}
	wantSet := map[string]bool{}
	for _, k := range want {
		wantSet[k] = true
	}
	if !reflect.DeepEqual(got, wantSet) {
		t.Errorf("%s %s: attributes %v, want exactly %v", r.method, r.path, sortedKeys(got), want)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Both base paths serve the same directory the same way; only the URLs in
// meta.location and $ref follow the base the client used.
func TestBasePathsAgree(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		first, second := s.client.under(httpapi.Bases[0]), s.client.under(httpapi.Bases[1])
		uid := first.post("/Users", newUser("both@example.com")).want(t, 201).str("/id")
		gid := second.post("/Groups", newGroup("Both", uid)).want(t, 201).str("/id")

		for _, path := range []string{
			"/Users/" + uid,
			"/Groups/" + gid,
			"/Users",
			query("/Users", "filter", `userName eq "both@example.com"`),
			"/Groups?excludedAttributes=members",
			"/ServiceProviderConfig",
			"/ResourceTypes/User",
		} {
			a, b := first.get(path).want(t, 200), second.get(path).want(t, 200)
			ab := strings.ReplaceAll(string(a.body), first.baseURL(), "BASE")
			bb := strings.ReplaceAll(string(b.body), second.baseURL(), "BASE")
			if ab != bb {
				t.Errorf("GET %s differs between base paths:\n%s\n%s", path, a.body, b.body)
			}
		}
	})
}
