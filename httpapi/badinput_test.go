package httpapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// badCase is a request scimd must refuse, and the SCIM error it must give.
type badCase struct {
	name, method, path string
	body               any
	status             int
	scimType, detail   string // detail: a fragment the detail must contain
}

// scimType values, short for the tables.
const (
	invSyntax = "invalidSyntax"
	invValue  = "invalidValue"
	invPath   = "invalidPath"
	invFilter = "invalidFilter"
)

// Bad input gets a SCIM error with the right status and scimType and a
// detail that says what to fix, and changes nothing: every case compares a
// snapshot of the account from before and after the request.
func TestBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		ids := badIDs{
			alice:   c.post("/Users", newUser("alice@example.com")).want(t, 201).str("/id"),
			bob:     c.post("/Users", newUser("bob@example.com")).want(t, 201).str("/id"),
			missing: "2f0b9c1e-0000-4000-8000-00000000dead",
		}
		ids.group = c.post("/Groups", newGroup("Staff", ids.alice)).want(t, 201).str("/id")

		for _, group := range []struct {
			name  string
			cases []badCase
		}{
			{"body", badBodies(ids)},
			{"document", badDocuments(ids)},
			{"limits", badSizes(ids)},
			{"uniqueness", badDuplicates(ids)},
			{"patch", badPatches(ids)},
			{"members", badMembers(ids)},
			{"list", badLists()},
		} {
			t.Run(group.name, func(t *testing.T) {
				for _, tc := range group.cases {
					t.Run(tc.name, func(t *testing.T) {
						before := snapshot(t, c)
						c.do(tc.method, tc.path, tc.body).
							wantError(t, tc.status, tc.scimType, tc.detail)
						if after := snapshot(t, c); after != before {
							t.Errorf("a refused %s %s changed stored data:\nbefore %s\nafter  %s",
								tc.method, tc.path, before, after)
						}
					})
				}
			})
		}
	})
}

// badIDs are the resources the bad requests aim at, and an id that names
// nothing.
type badIDs struct{ alice, bob, group, missing string }

// Bodies that are not one JSON object.
func badBodies(id badIDs) []badCase {
	a := "/Users/" + id.alice
	return []badCase{
		{"malformed", "POST", "/Users", `{"userName": "x",`, 400, invSyntax, "not valid JSON"},
		{"trailing-data", "POST", "/Users", `{"userName": "x"} {}`, 400, invSyntax, "after the JSON"},
		{"array", "POST", "/Users", `[]`, 400, invSyntax, "JSON object"},
		{"empty", "POST", "/Users", ` `, 400, invSyntax, "empty"},
		{"malformed-put", "PUT", a, `{"userName":`, 400, invSyntax, "not valid JSON"},
		{"malformed-patch", "PATCH", a, `{"Operations": [`, 400, invSyntax, "not valid JSON"},
		{"duplicate-member", "POST", "/Users", `{"schemas": ["` + scim.UserSchema + `"],
			"userName": "carol@example.com", "userName": "admin@example.com"}`,
			400, invSyntax, `"userName" twice`},
		{"duplicate-member-patch", "PATCH", a, `{"schemas": ["` + scim.PatchOpSchema + `"],
			"Operations": [{"op": "replace", "path": "active", "value": true,
			"value": false}]}`, 400, invSyntax, `"value" twice`},
	}
}

// Documents of the wrong shape.
func badDocuments(id badIDs) []badCase {
	acme := "urn:example:params:scim:schemas:extension:acme:2.0:User"
	twoPrimaries := []any{
		map[string]any{"value": "a@example.com", "primary": true},
		map[string]any{"value": "b@example.com", "primary": true},
	}
	noName := map[string]any{"schemas": []string{scim.GroupSchema}}
	idMember := map[string]any{"schemas": []string{scim.GroupSchema}, "displayName": "G",
		"members": []any{"just-an-id"}}
	return []badCase{
		{"active-word", "POST", "/Users", user("active", "maybe"), 400, invValue, "active"},
		{"userName-number", "POST", "/Users", user("userName", 42), 400, invValue, "userName"},
		{"name-string", "POST", "/Users", user("name", "Carol"), 400, invValue, "name"},
		{"emails-number", "POST", "/Users", user("emails", 7), 400, invValue, "emails"},
		{"two-primaries", "POST", "/Users", user("emails", twoPrimaries), 400, invValue, "primary"},
		{"no-userName", "POST", "/Users", user("userName", nil), 400, invValue,
			`"userName" is required`},
		{"empty-userName", "POST", "/Users", user("userName", ""), 400, invValue, `"userName"`},
		{"no-userName-put", "PUT", "/Users/" + id.alice, user("userName", nil), 400, invValue,
			`"userName" is required`},
		{"no-displayName", "POST", "/Groups", noName, 400, invValue, "displayName"},
		{"no-schemas", "POST", "/Users", user("schemas", nil), 400, invValue, "schemas"},
		{"unknown-urn", "POST", "/Users", user("schemas", []string{scim.UserSchema, acme}),
			400, invValue, acme},
		{"unknown-urn-key", "POST", "/Users", user(acme, map[string]any{"badge": "7"}),
			400, invValue, acme},
		{"group-schema", "POST", "/Users", user("schemas", []string{scim.GroupSchema}),
			400, invValue, scim.UserSchema},
		{"member-not-object", "POST", "/Groups", idMember, 400, invValue, "members[0]"},
	}
}

// Bodies over the limit, whichever method sends them, and values too long
// for the indexed lookup columns. Those are random hex, which PostgreSQL
// cannot compress below its index entry limit as it would a repeated
// letter.
func badSizes(id badIDs) []badCase {
	limit := httpapi.DefaultLimits.MaxBodyBytes
	big := `{"schemas":["` + scim.UserSchema + `"],"userName":"x","title":"` +
		strings.Repeat("a", int(limit)) + `"}`
	n := fmt.Sprint(limit)
	long := randomText(1025)
	email := []any{map[string]any{"value": "c@example.com"}, map[string]any{"value": long}}
	group := newGroup("Long")
	group["externalId"] = long
	return []badCase{
		{"post", "POST", "/Users", big, 413, "", n},
		{"put", "PUT", "/Users/" + id.alice, big, 413, "", n},
		{"patch", "PATCH", "/Users/" + id.alice, big, 413, "", n},
		{"search", "POST", "/Users/.search", big, 413, "", n},
		{"long-userName", "POST", "/Users", user("userName", long), 400, invValue,
			`"userName" is 1025 bytes long; at most 1024`},
		{"long-externalId", "PUT", "/Users/" + id.alice, user("externalId", long), 400,
			invValue, `"externalId" is 1025 bytes`},
		{"long-email", "POST", "/Users", user("emails", email), 400, invValue,
			`"emails[1].value" is 1025 bytes`},
		{"long-displayName", "PATCH", "/Users/" + id.alice,
			patchOp(op("replace", "displayName", long)), 400, invValue, `"displayName"`},
		{"long-group-name", "POST", "/Groups", newGroup(long), 400, invValue,
			`"displayName" is 1025 bytes`},
		{"long-group-externalId", "POST", "/Groups", group, 400, invValue, `"externalId"`},
	}
}

// randomText returns n bytes of random lowercase hex.
func randomText(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// A userName taken in another case (RFC 7643 §4.1: caseExact false).
func badDuplicates(id badIDs) []badCase {
	b := "/Users/" + id.bob
	rename := patchOp(op("replace", "userName", "alice@EXAMPLE.com"))
	return []badCase{
		{"post", "POST", "/Users", user("userName", "ALICE@Example.com"), 409, "uniqueness",
			"ALICE@Example.com"},
		{"put", "PUT", b, user("userName", "Alice@example.com"), 409, "uniqueness",
			"Alice@example.com"},
		{"patch", "PATCH", b, rename, 409, "uniqueness", "alice@EXAMPLE.com"},
	}
}

// PATCH messages that cannot apply. The request is refused as a whole: an
// operation before the failing one is not applied either.
func badPatches(id badIDs) []badCase {
	a := "/Users/" + id.alice
	replace := func(path string) any { return patchOp(op("replace", path, "x")) }
	secondFails := patchOp(op("replace", "displayName", "Changed"),
		op("replace", "nosuchattr", "x"))
	noOps := map[string]any{"schemas": []string{scim.PatchOpSchema}}
	noSchema := map[string]any{"Operations": []any{op("replace", "title", "x")}}
	return []badCase{
		{"unknown-path", "PATCH", a, replace("nickname2"), 400, invPath, "nickname2"},
		{"unknown-sub", "PATCH", a, replace("name.nickName"), 400, invPath, "nickName"},
		{"broken-filter", "PATCH", a, replace(`emails[type eq "work".value`), 400, invPath,
			"emails"},
		{"second-op-fails", "PATCH", a, secondFails, 400, invPath, "Operations[1]"},
		{"read-only", "PATCH", a, replace("id"), 400, "mutability", "id"},
		{"unknown-op", "PATCH", a, patchOp(op("move", "title", "x")), 400, invSyntax, "move"},
		{"no-operations", "PATCH", a, noOps, 400, invSyntax, "Operations"},
		{"no-schema", "PATCH", a, noSchema, 400, invSyntax, scim.PatchOpSchema},
		{"remove-no-path", "PATCH", a, patchOp(op("remove", "", nil)), 400, "noTarget", "path"},
	}
}

// Members that do not exist: nothing is stored, not even the valid ones.
func badMembers(id badIDs) []badCase {
	g := "/Groups/" + id.group
	add := func(ids ...string) map[string]any { return op("add", "members", members(ids...)) }
	rename := op("replace", "displayName", "Renamed")
	return []badCase{
		{"add", "PATCH", g, patchOp(add(id.bob, id.missing)), 400, invValue, id.missing},
		{"put", "PUT", g, newGroup("Staff", id.bob, id.missing), 400, invValue, id.missing},
		{"create-half-valid", "POST", "/Groups", newGroup("Half", id.alice, id.missing),
			400, invValue, id.missing},
		{"rename-then-add", "PATCH", g, patchOp(rename, add(id.missing)), 400, invValue,
			id.missing},
		{"itself", "PATCH", g, patchOp(add(id.group)), 400, invValue, id.group},
	}
}

// Filters and list parameters.
func badLists() []badCase {
	f := func(filter string) string { return query("/Users", "filter", filter) }
	lim := httpapi.DefaultLimits
	long := `userName eq "` + strings.Repeat("x", lim.MaxFilterLength) + `"`
	deep := strings.Repeat("(", lim.MaxFilterDepth+1) + `userName eq "x"` +
		strings.Repeat(")", lim.MaxFilterDepth+1)
	search := map[string]any{"schemas": []string{scim.SearchRequestSchema},
		"filter": "userName eq"}
	noSchema := map[string]any{"filter": `userName eq "x"`}
	return []badCase{
		{"incomplete", "GET", f("userName eq"), nil, 400, invFilter, "offset"},
		{"unknown-operator", "GET", f(`userName zz "x"`), nil, 400, invFilter, "zz"},
		{"unbalanced", "GET", f(`(userName eq "x"`), nil, 400, invFilter, "offset"},
		{"unknown-attribute", "GET", f(`shoeSize eq "x"`), nil, 400, invFilter, "shoeSize"},
		{"unterminated", "GET", f(`userName eq "x`), nil, 400, invFilter, "offset"},
		{"dangling-and", "GET", query("/Groups", "filter", `displayName eq "x" and`), nil,
			400, invFilter, "offset"},
		{"in-search", "POST", "/Users/.search", search, 400, invFilter, "offset"},
		{"too-long", "GET", f(long), nil, 400, invFilter, fmt.Sprint(lim.MaxFilterLength)},
		{"too-deep", "GET", f(deep), nil, 400, invFilter, fmt.Sprint(lim.MaxFilterDepth)},
		{"startIndex-word", "GET", "/Users?startIndex=first", nil, 400, invValue, "startIndex"},
		{"count-word", "GET", "/Users?count=many", nil, 400, invValue, "count"},
		{"sortBy-unknown", "GET", "/Users?sortBy=shoeSize", nil, 400, invValue, "shoeSize"},
		{"sortOrder-unknown", "GET", "/Users?sortBy=userName&sortOrder=sideways", nil,
			400, invValue, "sideways"},
		{"search-no-schema", "POST", "/Users/.search", noSchema, 400, invValue,
			scim.SearchRequestSchema},
	}
}

// user returns a new user document for carol with attributes set, or
// removed where the value is nil.
func user(kv ...any) map[string]any {
	u := newUser("carol@example.com")
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(u, kv[i].(string))
		} else {
			u[kv[i].(string)] = kv[i+1]
		}
	}
	return u
}

// op returns one PATCH operation; an empty path or nil value is left out.
func op(o, path string, value any) map[string]any {
	m := map[string]any{"op": o}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// members returns a members value naming ids.
func members(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// A body of a type SCIM does not speak is refused before it is read.
func TestUnsupportedContentType(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		id := c.post("/Users", newUser("alice@example.com")).want(t, http.StatusCreated).str("/id")
		before := snapshot(t, c)
		for _, tc := range []struct{ method, path, ctype string }{
			{"POST", "/Users", "text/plain"},
			{"POST", "/Users", "application/xml"},
			{"POST", "/Users", "application/x-www-form-urlencoded"},
			{"PUT", "/Users/" + id, "text/plain; charset=utf-8"},
			{"PATCH", "/Users/" + id, "multipart/form-data"},
		} {
			c.do(tc.method, tc.path, newUser("carol@example.com"), "Content-Type", tc.ctype).
				wantError(t, http.StatusUnsupportedMediaType, "", "application/scim+json")
		}
		if after := snapshot(t, c); after != before {
			t.Errorf("a refused request changed stored data:\nbefore %s\nafter  %s", before, after)
		}

		// Both SCIM media types are accepted, with parameters.
		for i, ct := range []string{"application/json", "application/scim+json; charset=utf-8"} {
			c.do("POST", "/Users", newUser(fmt.Sprintf("u%d@example.com", i)), "Content-Type", ct).
				want(t, http.StatusCreated)
		}
	})
}
