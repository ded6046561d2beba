package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// Bad input gets a SCIM error with the right status and scimType and a
// detail that says what to fix, and changes nothing: every case compares a
// snapshot of the account from before and after the request.
func TestBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		alice := c.post("/Users", newUser("alice@example.com")).want(t, http.StatusCreated).str("/id")
		bob := c.post("/Users", newUser("bob@example.com")).want(t, http.StatusCreated).str("/id")
		group := c.post("/Groups", newGroup("Staff", alice)).want(t, http.StatusCreated).str("/id")
		missing := "2f0b9c1e-0000-4000-8000-00000000dead"

		user := func(kv ...any) map[string]any {
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
		op := func(o, path string, value any) map[string]any {
			m := map[string]any{"op": o, "path": path}
			if value != nil {
				m["value"] = value
			}
			return m
		}
		members := func(ids ...string) []any {
			out := make([]any, len(ids))
			for i, id := range ids {
				out[i] = map[string]any{"value": id}
			}
			return out
		}
		big := `{"schemas":["` + scim.UserSchema + `"],"userName":"x","title":"` +
			strings.Repeat("a", int(httpapi.DefaultLimits.MaxBodyBytes)) + `"}`

		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			scimType, detail   string
		}{
			// Bodies that are not a JSON object.
			{"malformed-json", "POST", "/Users", `{"userName": "x",`, 400, "invalidSyntax", "not valid JSON"},
			{"trailing-data", "POST", "/Users", `{"userName": "x"} {}`, 400, "invalidSyntax", "after the JSON object"},
			{"array-body", "POST", "/Users", `[]`, 400, "invalidSyntax", "JSON object"},
			{"empty-body", "POST", "/Users", ` `, 400, "invalidSyntax", "empty"},
			{"malformed-put", "PUT", "/Users/" + alice, `{"userName":`, 400, "invalidSyntax", "not valid JSON"},
			{"malformed-patch", "PATCH", "/Users/" + alice, `{"Operations": [`, 400, "invalidSyntax", "not valid JSON"},

			// Documents of the wrong shape.
			{"active-not-boolean", "POST", "/Users", user("active", "maybe"), 400, "invalidValue", "active"},
			{"userName-number", "POST", "/Users", user("userName", 42), 400, "invalidValue", "userName"},
			{"name-string", "POST", "/Users", user("name", "Carol"), 400, "invalidValue", "name"},
			{"emails-number", "POST", "/Users", user("emails", 7), 400, "invalidValue", "emails"},
			{"two-primary-emails", "POST", "/Users", user("emails", []any{
				map[string]any{"value": "a@example.com", "primary": true},
				map[string]any{"value": "b@example.com", "primary": true},
			}), 400, "invalidValue", "primary"},
			{"missing-userName", "POST", "/Users", user("userName", nil), 400, "invalidValue", `"userName" is required`},
			{"empty-userName", "POST", "/Users", user("userName", ""), 400, "invalidValue", `"userName"`},
			{"missing-userName-put", "PUT", "/Users/" + alice, user("userName", nil), 400, "invalidValue", `"userName" is required`},
			{"missing-displayName", "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema}}, 400, "invalidValue", "displayName"},
			{"missing-schemas", "POST", "/Users", user("schemas", nil), 400, "invalidValue", "schemas"},
			{"unknown-schema-urn", "POST", "/Users", user("schemas", []string{scim.UserSchema,
				"urn:example:params:scim:schemas:extension:acme:2.0:User"}), 400, "invalidValue",
				"urn:example:params:scim:schemas:extension:acme:2.0:User"},
			{"unknown-schema-key", "POST", "/Users", user("urn:example:params:scim:schemas:extension:acme:2.0:User",
				map[string]any{"badge": "7"}), 400, "invalidValue", "urn:example:params:scim:schemas:extension:acme:2.0:User"},
			{"group-schema-on-users", "POST", "/Users", user("schemas", []string{scim.GroupSchema}), 400, "invalidValue", scim.UserSchema},
			{"member-not-object", "POST", "/Groups", map[string]any{"schemas": []string{scim.GroupSchema},
				"displayName": "G", "members": []any{"just-an-id"}}, 400, "invalidValue", "members[0]"},

			// Limits.
			{"body-over-limit", "POST", "/Users", big, 413, "", fmt.Sprint(httpapi.DefaultLimits.MaxBodyBytes)},
			{"put-over-limit", "PUT", "/Users/" + alice, big, 413, "", fmt.Sprint(httpapi.DefaultLimits.MaxBodyBytes)},
			{"patch-over-limit", "PATCH", "/Users/" + alice, big, 413, "", fmt.Sprint(httpapi.DefaultLimits.MaxBodyBytes)},

			// Duplicate userName, whatever its case (RFC 7643 §4.1: caseExact false).
			{"duplicate-userName", "POST", "/Users", user("userName", "ALICE@Example.com"), 409, "uniqueness", "ALICE@Example.com"},
			{"duplicate-userName-put", "PUT", "/Users/" + bob, user("userName", "Alice@example.com"), 409, "uniqueness", "Alice@example.com"},
			{"duplicate-userName-patch", "PATCH", "/Users/" + bob, patchOp(op("replace", "userName", "alice@EXAMPLE.com")),
				409, "uniqueness", "alice@EXAMPLE.com"},

			// PATCH messages that cannot apply; the whole request is refused.
			{"patch-unknown-path", "PATCH", "/Users/" + alice, patchOp(op("replace", "nickname2", "x")), 400, "invalidPath", "nickname2"},
			{"patch-unknown-sub", "PATCH", "/Users/" + alice, patchOp(op("replace", "name.nickName", "x")), 400, "invalidPath", "nickName"},
			{"patch-broken-filter", "PATCH", "/Users/" + alice, patchOp(op("replace", `emails[type eq "work".value`, "x")), 400, "invalidPath", "emails"},
			{"patch-second-op-fails", "PATCH", "/Users/" + alice, patchOp(
				op("replace", "displayName", "Changed"), op("replace", "nosuchattr", "x")), 400, "invalidPath", "Operations[1]"},
			{"patch-read-only", "PATCH", "/Users/" + alice, patchOp(op("replace", "id", "x")), 400, "mutability", "id"},
			{"patch-unknown-op", "PATCH", "/Users/" + alice, patchOp(op("move", "title", "x")), 400, "invalidSyntax", "move"},
			{"patch-no-operations", "PATCH", "/Users/" + alice, map[string]any{"schemas": []string{scim.PatchOpSchema}}, 400, "invalidSyntax", "Operations"},
			{"patch-no-schema", "PATCH", "/Users/" + alice, map[string]any{"Operations": []any{op("replace", "title", "x")}}, 400, "invalidSyntax", scim.PatchOpSchema},
			{"patch-remove-no-path", "PATCH", "/Users/" + alice, patchOp(op("remove", "", nil)), 400, "noTarget", "path"},

			// Members that do not exist: nothing is stored, not even the valid ones.
			{"add-unknown-member", "PATCH", "/Groups/" + group, patchOp(op("add", "members", members(bob, missing))), 400, "invalidValue", missing},
			{"replace-unknown-member", "PUT", "/Groups/" + group, newGroup("Staff", bob, missing), 400, "invalidValue", missing},
			{"create-with-unknown-member", "POST", "/Groups", newGroup("Half Valid", alice, missing), 400, "invalidValue", missing},
			{"rename-then-unknown-member", "PATCH", "/Groups/" + group, patchOp(op("replace", "displayName", "Renamed"),
				op("add", "members", members(missing))), 400, "invalidValue", missing},
			{"group-member-of-itself", "PATCH", "/Groups/" + group, patchOp(op("add", "members", members(group))), 400, "invalidValue", group},

			// Filters and list parameters.
			{"filter-incomplete", "GET", query("/Users", "filter", "userName eq"), nil, 400, "invalidFilter", "offset"},
			{"filter-unknown-operator", "GET", query("/Users", "filter", `userName zz "x"`), nil, 400, "invalidFilter", "zz"},
			{"filter-unbalanced", "GET", query("/Users", "filter", `(userName eq "x"`), nil, 400, "invalidFilter", "offset"},
			{"filter-unknown-attribute", "GET", query("/Users", "filter", `shoeSize eq "x"`), nil, 400, "invalidFilter", "shoeSize"},
			{"filter-dangling-and", "GET", query("/Groups", "filter", `displayName eq "x" and`), nil, 400, "invalidFilter", "offset"},
			{"filter-unterminated-string", "GET", query("/Users", "filter", `userName eq "x`), nil, 400, "invalidFilter", "offset"},
			{"filter-bad-search", "POST", "/Users/.search", map[string]any{"schemas": []string{scim.SearchRequestSchema},
				"filter": "userName eq"}, 400, "invalidFilter", "offset"},
			{"filter-too-long", "GET", query("/Users", "filter", `userName eq "`+strings.Repeat("x",
				httpapi.DefaultLimits.MaxFilterLength)+`"`), nil, 400, "invalidFilter", fmt.Sprint(httpapi.DefaultLimits.MaxFilterLength)},
			{"filter-too-deep", "GET", query("/Users", "filter", strings.Repeat("(", httpapi.DefaultLimits.MaxFilterDepth+1)+
				`userName eq "x"`+strings.Repeat(")", httpapi.DefaultLimits.MaxFilterDepth+1)), nil, 400, "invalidFilter",
				fmt.Sprint(httpapi.DefaultLimits.MaxFilterDepth)},
			{"startIndex-not-number", "GET", "/Users?startIndex=first", nil, 400, "invalidValue", "startIndex"},
			{"count-not-number", "GET", "/Users?count=many", nil, 400, "invalidValue", "count"},
			{"sortBy-unknown", "GET", "/Users?sortBy=shoeSize", nil, 400, "invalidValue", "shoeSize"},
			{"sortOrder-unknown", "GET", "/Users?sortBy=userName&sortOrder=sideways", nil, 400, "invalidValue", "sideways"},
			{"search-without-schema", "POST", "/Users/.search", map[string]any{"filter": `userName eq "x"`}, 400, "invalidValue", scim.SearchRequestSchema},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, c)
				c.do(tc.method, tc.path, tc.body).wantError(t, tc.status, tc.scimType, tc.detail)
				if after := snapshot(t, c); after != before {
					t.Errorf("a refused %s %s changed stored data:\nbefore %s\nafter  %s",
						tc.method, tc.path, before, after)
				}
			})
		}
	})
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
