package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// The discovery documents (RFC 7644 §4) answer without a token, say what
// scimd supports and advertise the limits it enforces.
func TestServiceProviderConfig(t *testing.T) {
	lim := httpapi.Limits{MaxBodyBytes: 64 << 10, MaxFilterLength: 512, MaxFilterDepth: 5,
		MaxPageSize: 50, DefaultPageSize: 20, MaxPatchOperations: 3, MaxBulkOperations: 7}
	eachStoreWith(t, lim, func(t *testing.T, s *stack) {
		c := s.clientFor("")
		r := c.get("/ServiceProviderConfig").want(t, http.StatusOK)
		for ptr, want := range map[string]any{
			"/schemas/0":                    scim.ServiceProviderCfgID,
			"/patch/supported":              true,
			"/bulk/supported":               true,
			"/bulk/maxOperations":           7,
			"/bulk/maxPayloadSize":          64 << 10,
			"/filter/supported":             true,
			"/filter/maxResults":            50,
			"/sort/supported":               true,
			"/etag/supported":               true,
			"/changePassword/supported":     false,
			"/authenticationSchemes/0/type": "oauthbearertoken",
			"/meta/location":                c.baseURL() + "/ServiceProviderConfig",
			"/meta/resourceType":            "ServiceProviderConfig",
		} {
			if got, ok := lookup(r.doc, ptr); !ok || !sameJSON(got, want, false) {
				t.Errorf("%s is %s, want %v", ptr, show(got, ok), want)
			}
		}

		// The limits extension carries what RFC 7643 §5 has no place for.
		ext := "/" + scim.LimitsSchema
		for ptr, want := range map[string]int{
			ext + "/maxPayloadSize":     64 << 10,
			ext + "/maxFilterLength":    512,
			ext + "/maxFilterDepth":     5,
			ext + "/maxResults":         50,
			ext + "/defaultPageSize":    20,
			ext + "/maxPatchOperations": 3,
			ext + "/maxIdentifierBytes": directory.MaxIdentifierBytes,
		} {
			if got := r.num(t, ptr); got != want {
				t.Errorf("%s is %d, want %d", ptr, got, want)
			}
		}

		// And the limits it advertises are the ones it enforces.
		a := s.client
		long := `userName eq "` + strings.Repeat("x", 512) + `"`
		deep := strings.Repeat("(", 6) + `userName eq "x"` + strings.Repeat(")", 6)
		a.get(query("/Users", "filter", long)).wantError(t, 400, invFilter, "512")
		a.get(query("/Users", "filter", deep)).wantError(t, 400, invFilter, "limit of 5")
		a.post("/Users", `{"title":"`+strings.Repeat("x", 64<<10)+`"}`).
			wantError(t, 413, "", "65536")
		four := patchOp(op("add", "title", "a"), op("add", "title", "b"),
			op("add", "title", "c"), op("add", "title", "d"))
		a.patch("/Users/missing", four).wantError(t, 413, "", "at most 3")
		a.post("/Users", newUser(strings.Repeat("x", directory.MaxIdentifierBytes+1))).
			wantError(t, 400, invValue, "at most")
	})
}

func TestResourceTypesAndSchemas(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		c := s.clientFor("")
		list := c.get("/ResourceTypes").want(t, http.StatusOK)
		checkListShape(t, list, 2, 1, 2)
		if got := list.ids(); !sameSet(got, []string{"User", "Group"}) {
			t.Errorf("ResourceTypes ids %v", got)
		}

		user := c.get("/ResourceTypes/User").want(t, http.StatusOK)
		for ptr, want := range map[string]any{
			"/schemas":                     []any{scim.ResourceTypeSchema},
			"/id":                          "User",
			"/endpoint":                    "/Users",
			"/schema":                      scim.UserSchema,
			"/schemaExtensions/0/schema":   scim.EnterpriseUserSchema,
			"/schemaExtensions/0/required": false,
			"/meta/location":               c.baseURL() + "/ResourceTypes/User",
		} {
			if got, ok := lookup(user.doc, ptr); !ok || !sameJSON(got, want, false) {
				t.Errorf("ResourceTypes/User %s is %s, want %v", ptr, show(got, ok), want)
			}
		}
		group := c.get("/ResourceTypes/Group").want(t, http.StatusOK)
		if group.str("/endpoint") != "/Groups" || group.str("/schema") != scim.GroupSchema {
			t.Errorf("ResourceTypes/Group: %s", group.body)
		}
		c.get("/ResourceTypes/Device").wantError(t, http.StatusNotFound, "", "Device")

		schemas := c.get("/Schemas").want(t, http.StatusOK)
		want := []string{scim.UserSchema, scim.GroupSchema, scim.EnterpriseUserSchema}
		if got := schemas.ids(); !sameSet(got, want) {
			t.Errorf("Schemas ids %v, want %v", got, want)
		}
		for _, id := range want {
			r := c.get("/Schemas/"+url.PathEscape(id)).want(t, http.StatusOK)
			if r.str("/id") != id || r.str("/meta/location") != c.baseURL()+"/Schemas/"+id {
				t.Errorf("Schemas/%s: id %q, location %q", id, r.str("/id"), r.str("/meta/location"))
			}
		}
		u := c.get("/Schemas/"+scim.UserSchema).want(t, http.StatusOK)
		names, _ := lookup(u.doc, "/attributes/*/name")
		if !contains(names, "userName") || !contains(names, "emails") {
			t.Errorf("the User schema lacks userName or emails: %v", names)
		}
		c.get("/Schemas/urn:example:nope").wantError(t, http.StatusNotFound, "", "urn:example:nope")
	})
}

func contains(list any, s string) bool {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
