package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// bulkReq returns a BulkRequest message; failOnErrors 0 leaves it out.
func bulkReq(failOnErrors int, ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	m := map[string]any{"schemas": []string{scim.BulkRequestSchema}, "Operations": list}
	if failOnErrors > 0 {
		m["failOnErrors"] = failOnErrors
	}
	return m
}

// bulkOp returns one operation; an empty bulkId or nil data is left out.
func bulkOp(method, path, bulkID string, data any) map[string]any {
	m := map[string]any{"method": method, "path": path}
	if bulkID != "" {
		m["bulkId"] = bulkID
	}
	if data != nil {
		m["data"] = data
	}
	return m
}

// withVersion returns op with a version.
func withVersion(op map[string]any, version string) map[string]any {
	op["version"] = version
	return op
}

// groupOf returns a Group document whose members are given by value, ids
// or "bulkId:" references.
func groupOf(displayName string, values ...string) map[string]any {
	g := newGroup(displayName, values...)
	for _, m := range g["members"].([]any) {
		m.(map[string]any)["type"] = "User"
	}
	return g
}

// result is one operation of a BulkResponse.
type result struct {
	Method, BulkID, Location, Version, Status string
	Response                                  map[string]any // nil when absent
}

// bulk posts a bulk request, checks that it answered 200 with a
// BulkResponse, and returns the operations' results.
func bulk(t *testing.T, c *client, body any) []result {
	t.Helper()
	r := c.post("/Bulk", body).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != httpapi.ContentType {
		t.Errorf("POST /Bulk: Content-Type %q", ct)
	}
	if got, _ := lookup(r.doc, "/schemas"); !sameJSON(got, []any{scim.BulkResponseSchema}, false) {
		t.Errorf("POST /Bulk: schemas %v, want [%s]", got, scim.BulkResponseSchema)
	}
	ops, ok := r.doc["Operations"].([]any)
	if !ok {
		t.Fatalf("POST /Bulk: no Operations array: %s", clip(r.body))
	}
	out := make([]result, len(ops))
	for i, op := range ops {
		m, _ := op.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		out[i] = result{Method: str("method"), BulkID: str("bulkId"), Location: str("location"),
			Version: str("version"), Status: str("status")}
		out[i].Response, _ = m["response"].(map[string]any)
		if _, isNum := m["status"].(string); !isNum {
			t.Errorf("Operations[%d].status is %#v, want a string", i, m["status"])
		}
	}
	return out
}

// wantOK checks a successful result and returns the id its location ends
// in.
func (r result) wantOK(t *testing.T, c *client, method, endpoint string, status int) string {
	t.Helper()
	if r.Method != method || r.Status != strconv.Itoa(status) || r.Response != nil {
		t.Errorf("result %+v, want %s with status %d and no response", r, method, status)
	}
	prefix := c.baseURL() + endpoint + "/"
	id, ok := strings.CutPrefix(r.Location, prefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		t.Errorf("%s result: location %q, want %s{id}", method, r.Location, prefix)
	}
	return id
}

// wantErr checks a failed result: its status and the SCIM error under
// "response", whose scimType and detail say what was wrong.
func (r result) wantErr(t *testing.T, method string, status int, scimType, detail string) {
	t.Helper()
	s := strconv.Itoa(status)
	if r.Method != method || r.Status != s || r.Response == nil {
		t.Fatalf("result %+v, want a %s that failed with %d", r, method, status)
	}
	if got, _ := lookup(r.Response, "/schemas/0"); got != scim.ErrorSchema {
		t.Errorf("response schemas %v, want the error schema", r.Response["schemas"])
	}
	got, _ := r.Response["scimType"].(string)
	d, _ := r.Response["detail"].(string)
	if r.Response["status"] != s || got != scimType || !strings.Contains(d, detail) {
		t.Errorf("response %v, want status %s, scimType %q and a detail with %q",
			r.Response, s, scimType, detail)
	}
}

func wantResults(t *testing.T, got []result, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d results, want %d: %+v", len(got), n, got)
	}
}

// The worked example of RFC 7644 §3.7.2: a user and a group that lists it
// by its bulkId, here sent group first, so that the reference points
// forward and the server must reorder.
func TestBulkCreateWithReferences(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		before := lastEvent(t, s)
		alice := newUser("alice@example.com")
		alice[scim.EnterpriseUserSchema] = map[string]any{"manager": map[string]any{
			"value": "bulkId:boss"}}
		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Groups", "ytrewq", groupOf("Tour Guides", "bulkId:qwerty")),
			bulkOp("POST", "/Users", "qwerty", alice),
			bulkOp("POST", "/Users", "boss", newUser("boss@example.com")),
		))
		wantResults(t, res, 3)
		gid := res[0].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		uid := res[1].wantOK(t, c, "POST", "/Users", http.StatusCreated)
		boss := res[2].wantOK(t, c, "POST", "/Users", http.StatusCreated)
		for i, want := range []string{"ytrewq", "qwerty", "boss"} {
			if res[i].BulkID != want {
				t.Errorf("Operations[%d].bulkId %q, want %q", i, res[i].BulkID, want)
			}
		}

		// What was stored is what single requests would have stored.
		g := c.get("/Groups/"+gid).want(t, http.StatusOK)
		if got, _ := lookup(g.doc, "/members/*/value"); !sameJSON(got, []any{uid}, true) {
			t.Errorf("group members %v, want [%s]", got, uid)
		}
		if g.header.Get("ETag") != res[0].Version || g.str("/meta/location") != res[0].Location {
			t.Errorf("group ETag %q location %q; bulk said %q %q", g.header.Get("ETag"),
				g.str("/meta/location"), res[0].Version, res[0].Location)
		}
		u := c.get("/Users/"+uid).want(t, http.StatusOK)
		if got, _ := lookup(u.doc, "/groups/*/value"); !sameJSON(got, []any{gid}, true) {
			t.Errorf("user groups %v, want [%s]", got, gid)
		}
		manager := "/" + scim.EnterpriseUserSchema + "/manager/value"
		if got := u.str(manager); got != boss {
			t.Errorf("manager %q, want the id of the boss, %q", got, boss)
		}

		// The changes are told as single requests would tell them.
		types := eventTypes(t, s, before)
		for _, want := range []string{directory.EventUserCreated, directory.EventGroupCreated,
			directory.EventGroupMemberAdded} {
			if !strings.Contains(strings.Join(types, " "), want) {
				t.Errorf("events %v lack %s", types, want)
			}
		}
	})
}

// PUT, PATCH and DELETE in a bulk request answer as their single requests
// do, honour version as If-Match, and may name a resource by bulkId.
func TestBulkUpdates(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		bob := c.post("/Users", newUser("bob@example.com")).want(t, http.StatusCreated)
		bid, bv := bob.str("/id"), bob.header.Get("ETag")
		eve := c.post("/Users", newUser("eve@example.com")).want(t, http.StatusCreated).str("/id")
		rename := patchOp(op("replace", "displayName", "Guides"))
		addBob := patchOp(op("add", "members", members(bid)))
		title := patchOp(op("replace", "title", "Captain"))

		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Groups", "g", groupOf("Crew")),
			bulkOp("PATCH", "/Groups/bulkId:g", "", rename),
			withVersion(bulkOp("PATCH", "/Groups/bulkId:g", "", addBob), `W/"2"`),
			withVersion(bulkOp("PATCH", "/Users/"+bid, "", title), bv),
			withVersion(bulkOp("PUT", "/Users/"+bid, "", newUser("bob@example.com")), bv),
			withVersion(bulkOp("DELETE", "/Users/"+eve, "", nil), "W/\"nonsense\""),
			bulkOp("DELETE", "/Users/"+eve, "", nil),
		))
		wantResults(t, res, 7)
		gid := res[0].wantOK(t, c, "POST", "/Groups", http.StatusCreated)
		for _, i := range []int{1, 2} {
			if got := res[i].wantOK(t, c, "PATCH", "/Groups", http.StatusNoContent); got != gid {
				t.Errorf("Operations[%d] location names %q, want the new group %q", i, got, gid)
			}
		}
		if res[2].Version != `W/"3"` {
			t.Errorf("group version after two PATCHes %q, want W/\"3\"", res[2].Version)
		}
		res[3].wantOK(t, c, "PATCH", "/Users", http.StatusOK)

		// The PATCH moved bob past the version the PUT expects.
		res[4].wantErr(t, "PUT", http.StatusPreconditionFailed, "", "read it again")
		res[5].wantErr(t, "DELETE", http.StatusPreconditionFailed, "", "version")
		if res[5].Location != c.baseURL()+"/Users/"+eve {
			t.Errorf("failed DELETE location %q", res[5].Location)
		}
		res[6].wantOK(t, c, "DELETE", "/Users", http.StatusNoContent)

		g := c.get("/Groups/"+gid).want(t, http.StatusOK)
		if got, _ := lookup(g.doc, "/members/*/value"); g.str("/displayName") != "Guides" ||
			!sameJSON(got, []any{bid}, true) {
			t.Errorf("group %s, want Guides with member %s", g.body, bid)
		}
		if got := c.get("/Users/"+bid).want(t, http.StatusOK).str("/title"); got != "Captain" {
			t.Errorf("bob's title %q: the refused PUT changed him", got)
		}
		c.get("/Users/"+eve).wantError(t, http.StatusNotFound, "", "not found")
	})
}

// Each operation fails on its own, with the status and scimType its single
// request would get, and the others still run (RFC 7644 §3.7.3).
func TestBulkErrorsPerOperation(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		c.post("/Users", newUser("taken@example.com")).want(t, http.StatusCreated)
		missing := "2f0b9c1e-0000-4000-8000-00000000dead"
		noSchemas := newUser("x@example.com")
		delete(noSchemas, "schemas")

		res := bulk(t, c, bulkReq(0,
			bulkOp("POST", "/Users", "dup", newUser("taken@example.com")),
			bulkOp("POST", "/Users", "bad", noSchemas),
			bulkOp("PUT", "/Users/"+missing, "", newUser("x@example.com")),
			bulkOp("PATCH", "/Users/"+missing, "", map[string]any{"Operations": []any{}}),
			bulkOp("POST", "/Groups", "orphans", groupOf("Orphans", missing)),
			bulkOp("POST", "/Groups", "g", groupOf("Fans", "bulkId:dup")),
			bulkOp("POST", "/Users", "ok", newUser("fine@example.com")),
		))
		wantResults(t, res, 7)
		res[0].wantErr(t, "POST", http.StatusConflict, "uniqueness", "taken@example.com")
		res[1].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", "schemas")
		res[2].wantErr(t, "PUT", http.StatusNotFound, "", missing)
		res[3].wantErr(t, "PATCH", http.StatusBadRequest, "invalidSyntax", scim.PatchOpSchema)
		res[4].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", missing)
		res[5].wantErr(t, "POST", http.StatusConflict, "",
			`"bulkId:dup" stands for no resource: Operations[0]`)
		res[6].wantOK(t, c, "POST", "/Users", http.StatusCreated)
		for i, r := range res[:6] {
			if r.Method == "POST" && r.Location != "" {
				t.Errorf("Operations[%d]: a failed POST has location %q", i, r.Location)
			}
		}
		if r := c.get(query("/Groups", "count", "10")).want(t, 200); len(r.ids()) != 0 {
			t.Errorf("failed POSTs stored groups %v", r.ids())
		}
		if n := c.get("/Users").want(t, 200).num(t, "/totalResults"); n != 2 {
			t.Errorf("%d users, want the earlier one and fine@example.com", n)
		}
	})
}

// failOnErrors stops the request after that many failed operations; the
// response lists what ran and nothing after it runs (RFC 7644 §3.7.3).
func TestBulkFailOnErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		missing := "/Users/2f0b9c1e-0000-4000-8000-00000000dead"
		ops := func(name string) []map[string]any {
			return []map[string]any{
				bulkOp("POST", "/Users", name+"1", newUser(name+"1@example.com")),
				bulkOp("DELETE", missing, "", nil),
				bulkOp("POST", "/Users", name+"2", newUser(name+"2@example.com")),
				bulkOp("DELETE", missing, "", nil),
				bulkOp("POST", "/Users", name+"3", newUser(name+"3@example.com")),
			}
		}
		for _, tc := range []struct {
			failOnErrors int
			ran          int
			users        []string // the users that exist afterwards
		}{
			{1, 2, []string{"one1"}},
			{2, 4, []string{"two1", "two2"}},
			{3, 5, []string{"all1", "all2", "all3"}},
			{0, 5, []string{"none1", "none2", "none3"}},
		} {
			name := []string{"none", "one", "two", "all"}[tc.failOnErrors]
			res := bulk(t, c, bulkReq(tc.failOnErrors, ops(name)...))
			wantResults(t, res, tc.ran)
			res[1].wantErr(t, "DELETE", http.StatusNotFound, "", "not found")
			for _, u := range []string{name + "1", name + "2", name + "3"} {
				f := query("/Users", "filter", `userName eq "`+u+`@example.com"`)
				got := c.get(f).want(t, http.StatusOK).num(t, "/totalResults")
				if want := strings.Contains(strings.Join(tc.users, " "), u); (got == 1) != want {
					t.Errorf("failOnErrors %d: %s exists: %v, want %v", tc.failOnErrors, u,
						got == 1, want)
				}
			}
		}
	})
}

// More operations than maxOperations, or a body over maxPayloadSize, is
// refused whole with 413 and the limit (RFC 7644 §3.7.4), and the limits
// are the ones ServiceProviderConfig advertises.
func TestBulkLimits(t *testing.T) {
	lim := httpapi.Limits{MaxBulkOperations: 3, MaxBodyBytes: 8 << 10}
	eachStoreWith(t, lim, func(t *testing.T, s *stack) {
		c := s.client
		cfg := s.clientFor("").get("/ServiceProviderConfig").want(t, http.StatusOK)
		if cfg.doc["bulk"] == nil || cfg.num(t, "/bulk/maxOperations") != 3 ||
			cfg.num(t, "/bulk/maxPayloadSize") != 8<<10 {
			t.Errorf("bulk advertised as %v", cfg.doc["bulk"])
		}
		before := snapshot(t, c)

		var four []map[string]any
		for i := range 4 {
			id := strconv.Itoa(i)
			four = append(four, bulkOp("POST", "/Users", id, newUser("u"+id+"@example.com")))
		}
		c.post("/Bulk", bulkReq(0, four...)).
			wantError(t, http.StatusRequestEntityTooLarge, "", "maxOperations is 3")
		big := newUser("big@example.com")
		big["title"] = strings.Repeat("x", 8<<10)
		c.post("/Bulk", bulkReq(0, bulkOp("POST", "/Users", "big", big))).
			wantError(t, http.StatusRequestEntityTooLarge, "", "8192 bytes")
		if after := snapshot(t, c); after != before {
			t.Errorf("a refused bulk request changed data:\nbefore %s\nafter  %s", before, after)
		}

		// At the limit, every operation runs.
		res := bulk(t, c, bulkReq(0, four[:3]...))
		wantResults(t, res, 3)
	})
}

// A malformed envelope is refused whole with one SCIM error that names the
// operation, before any operation runs.
func TestBulkMalformed(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		ok := bulkOp("POST", "/Users", "ok", newUser("ok@example.com"))
		before := snapshot(t, c)
		for _, tc := range []struct {
			name     string
			body     any
			scimType string
			detail   string
		}{
			{"not-json", `{"schemas":`, invSyntax, "not valid JSON"},
			{"no-schemas", map[string]any{"Operations": []any{ok}}, invSyntax,
				scim.BulkRequestSchema},
			{"no-operations", bulkReq(0), invSyntax, "Operations"},
			{"get", bulkReq(0, ok, bulkOp("GET", "/Users", "", nil)), invSyntax,
				`Operations[1]: method "GET"`},
			{"post-no-bulkId", bulkReq(0, ok, bulkOp("POST", "/Users", "", newUser("x"))),
				invSyntax, `Operations[1]: a POST needs a "bulkId"`},
			{"bad-path", bulkReq(0, ok, bulkOp("DELETE", "/Me", "", nil)), invPath,
				`Operations[1]: path "/Me"`},
			{"post-to-id", bulkReq(0, ok, bulkOp("POST", "/Groups/x", "g", newGroup("G"))),
				invPath, "/Users or /Groups"},
			{"no-data", bulkReq(0, ok, bulkOp("PUT", "/Users/x", "", nil)), invSyntax,
				`needs "data"`},
			{"duplicate-bulkId", bulkReq(0, ok, ok), invValue, `bulkId "ok" is already`},
			{"unknown-ref", bulkReq(0, ok, bulkOp("DELETE", "/Users/bulkId:ko", "", nil)),
				invValue, `"bulkId:ko" refers to no POST`},
			{"fail-on-zero", map[string]any{"schemas": []string{scim.BulkRequestSchema},
				"failOnErrors": 0, "Operations": []any{ok}}, invValue, "failOnErrors"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.post("/Bulk", tc.body).wantError(t, http.StatusBadRequest, tc.scimType,
					tc.detail)
			})
		}
		if after := snapshot(t, c); after != before {
			t.Errorf("a malformed bulk request changed data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// Inside a bulk request a token still reaches only its own account: another
// account's ids are not found, operation by operation.
func TestBulkAccountIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		a := s.client
		uid := a.post("/Users", newUser("ada@example.com")).want(t, http.StatusCreated).str("/id")
		gid := a.post("/Groups", newGroup("Engines", uid)).want(t, http.StatusCreated).str("/id")
		before := snapshot(t, a)

		_, b := s.newAccount("globex")
		b.t = t
		res := bulk(t, b, bulkReq(0,
			bulkOp("PUT", "/Users/"+uid, "", newUser("ada@example.com")),
			bulkOp("PATCH", "/Users/"+uid, "", patchOp(op("replace", "active", false))),
			bulkOp("DELETE", "/Users/"+uid, "", nil),
			bulkOp("PATCH", "/Groups/"+gid, "", patchOp(op("replace", "displayName", "Mine"))),
			bulkOp("DELETE", "/Groups/"+gid, "", nil),
			bulkOp("POST", "/Groups", "poach", groupOf("Poachers", uid)),
			bulkOp("POST", "/Users", "own", newUser("ada@example.com")),
		))
		wantResults(t, res, 7)
		for i, m := range []string{"PUT", "PATCH", "DELETE", "PATCH", "DELETE"} {
			res[i].wantErr(t, m, http.StatusNotFound, "", "not found")
		}
		res[5].wantErr(t, "POST", http.StatusBadRequest, "invalidValue", uid)
		res[6].wantOK(t, b, "POST", "/Users", http.StatusCreated)

		if after := snapshot(t, a); after != before {
			t.Errorf("another account's bulk request changed data:\nbefore %s\nafter  %s",
				before, after)
		}
	})
}

// lastEvent returns the position of the account's newest event.
func lastEvent(t *testing.T, s *stack) int64 {
	t.Helper()
	events, err := s.svc.Store().Events(context.Background(), s.account.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Position
}

// eventTypes returns the types of the account's events after position.
func eventTypes(t *testing.T, s *stack, after int64) []string {
	t.Helper()
	events, err := s.svc.Store().Events(context.Background(), s.account.ID, after, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// TestBulkFailuresRecorded checks that a bulk request answered 200 with
// failed operations inside still shows as failing in the activity record.
func TestBulkFailuresRecorded(t *testing.T) {
	db := sqlstoretest.Open(t, sqlstore.SQLite)
	svc := directory.NewService(db, directory.WithLogger(slog.New(slog.DiscardHandler)))
	rec := &entries{}
	mux := http.NewServeMux()
	httpapi.New(httpapi.Config{Service: svc, Activity: rec,
		Logger: slog.New(slog.DiscardHandler)}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a, err := svc.CreateAccount(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(context.Background(), a.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, server: srv.URL, base: httpapi.Bases[0], token: secret}
	c.do("POST", "/Bulk", map[string]any{
		"schemas": []any{scim.BulkRequestSchema},
		"Operations": []any{
			map[string]any{"method": "POST", "bulkId": "a", "path": "/Users",
				"data": newUser("ada@example.com")},
			map[string]any{"method": "POST", "bulkId": "b", "path": "/Users",
				"data": newUser("ada@example.com")},
		},
	}).want(t, http.StatusOK)

	e := rec.last()
	if e.Status != http.StatusOK || !strings.Contains(e.Detail, "1 of 2 bulk operations failed") {
		t.Fatalf("activity entry = status %d, detail %q; want the failure counted", e.Status, e.Detail)
	}
}
