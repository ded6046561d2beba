package httpapi_test

import (
	"testing"
)

func TestZZProbe(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.client
		show := func(label string, r *response) {
			b := string(r.body)
			if len(b) > 300 {
				b = b[:300]
			}
			t.Logf("%s: %d %s allow=%q\n  %s", label, r.status, r.method+" "+r.path, r.header.Get("Allow"), b)
		}
		show("users slash", c.get("/Users/"))
		show("post users slash", c.post("/Users/", newUser("slash@example.com")))
		show("root search userName", c.post("/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `userName eq "x"`}))
		show("if-match list", c.do("DELETE", "/Users/x", nil, "If-Match", `W/"1", W/"2"`))
		id := c.post("/Users", newUser("a@example.com")).str("/id")
		show("patch excluded", c.patch("/Users/"+id+"?excludedAttributes=emails", patchOp(op("replace", "title", "x"))))
		show("add email dup case", c.patch("/Users/"+id, patchOp(op("add", "emails", []any{map[string]any{"value": "A@EXAMPLE.com", "type": "work"}}))))
		show("remove email by value other case", c.patch("/Users/"+id, patchOp(op("remove", "emails", []any{map[string]any{"value": "a@example.COM"}}))))
		show("accept xml", c.do("GET", "/Users/"+id, nil, "Accept", "application/xml"))
		show("filter sw on id", c.get(query("/Users", "filter", `id sw "`+id[:4]+`"`)))
		show("bad count type search", c.post("/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "count": "ten"}))
		show("put changes id", c.put("/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": "other", "userName": "a@example.com"}))
		show("post with externalId+meta", c.post("/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "m@example.com", "meta": map[string]any{"version": "W/\"9\""}}))
		show("patch no-op", c.patch("/Users/"+id, patchOp(op("replace", "userName", "a@example.com"))))
		show("user with groups attr filter", c.get(query("/Users", "filter", `groups[value eq "x"]`)))
	})
}
