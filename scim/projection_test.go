package scim

import (
	"reflect"
	"strings"
	"testing"
)

// bjensen is a full User as the directory renders it before projection.
const bjensen = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id": "2819c223",
	"externalId": "701984",
	"meta": {"resourceType": "User", "location": "https://x/Users/2819c223"},
	"userName": "bjensen",
	"password": "t1meMa$heen",
	"name": {"givenName": "Barbara", "familyName": "Jensen"},
	"active": true,
	"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@jensen.org", "type": "home"}],
	"groups": [{"value": "e9e30dba", "display": "Tour Guides"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
		"department": "Tour Operations",
		"manager": {"value": "26118915", "displayName": "John Smith"}
	}
}`

func TestProject(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		name       string
		attributes []string
		excluded   []string
		want       string
	}{
		{"default", nil, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "externalId": "701984",
			"meta": {"resourceType": "User", "location": "https://x/Users/2819c223"},
			"userName": "bjensen",
			"name": {"givenName": "Barbara", "familyName": "Jensen"},
			"active": true,
			"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
				{"value": "babs@jensen.org", "type": "home"}],
			"groups": [{"value": "e9e30dba", "display": "Tour Guides"}],
			"` + ent + `": {"department": "Tour Operations",
				"manager": {"value": "26118915", "displayName": "John Smith"}}}`},
		{"password-never", []string{"password", "userName"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "2819c223", "userName": "bjensen"}`},
		{"attributes-plus-always", []string{"userName"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "2819c223", "userName": "bjensen"}`},
		{"names-any-case", []string{"USERNAME", "Name.GivenName"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "2819c223", "userName": "bjensen", "name": {"givenName": "Barbara"}}`},
		{"sub-of-multi-valued", []string{"emails.value"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
			"emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]}`},
		{"whole-and-sub", []string{"name", "name.givenName"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
			"name": {"givenName": "Barbara", "familyName": "Jensen"}}`},
		{"urn-qualified", []string{ent + ":department"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "` + ent + `": {"department": "Tour Operations"}}`},
		{"urn-qualified-sub", []string{ent + ":manager.value"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "` + ent + `": {"manager": {"value": "26118915"}}}`},
		{"urn-any-case", []string{strings.ToUpper(ent + ":department")}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "` + ent + `": {"department": "Tour Operations"}}`},
		{"extension-whole", []string{ent}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "` + ent + `": {"department": "Tour Operations",
				"manager": {"value": "26118915", "displayName": "John Smith"}}}`},
		{"core-urn-qualified", []string{"urn:ietf:params:scim:schemas:core:2.0:User:userName"},
			nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "2819c223", "userName": "bjensen"}`},
		{"common-attributes", []string{"meta.location", "externalId"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
			"externalId": "701984", "meta": {"location": "https://x/Users/2819c223"}}`},
		{"unknown-paths-ignored", []string{"nickName2", "name.nick", "urn:example:x:y"}, nil, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223"}`},
		{"excluded", nil, []string{"emails", "groups", "meta", "name.familyName", ent + ":manager"},
			`{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ent + `"],
			"id": "2819c223", "externalId": "701984", "userName": "bjensen",
			"name": {"givenName": "Barbara"}, "active": true,
			"` + ent + `": {"department": "Tour Operations"}}`},
		{"excluded-always-kept", []string{"userName"}, []string{"id", "schemas", "userName"}, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223"}`},
		{"excluded-extension", []string{}, []string{ent, "emails.type", "emails.primary"}, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "2819c223", "externalId": "701984",
			"meta": {"resourceType": "User", "location": "https://x/Users/2819c223"},
			"userName": "bjensen",
			"name": {"givenName": "Barbara", "familyName": "Jensen"},
			"active": true,
			"emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}],
			"groups": [{"value": "e9e30dba", "display": "Tour Guides"}]}`},
		{"both-lists", []string{"name", "emails"}, []string{"name.givenName", "emails"}, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
			"name": {"familyName": "Jensen"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, bjensen)
			got := Project(UserResourceType, res, tt.attributes, tt.excluded)
			// Compare through JSON: "schemas" comes back as []string.
			got = parse(t, mustJSON(t, got))
			if want := parse(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Project =\n%s\nwant\n%s", mustJSON(t, got), mustJSON(t, want))
			}
			if after := parse(t, bjensen); !reflect.DeepEqual(res, after) {
				t.Errorf("Project changed its input")
			}
		})
	}
}

// Microsoft Entra ID reads groups with excludedAttributes=members.
func TestProjectGroupWithoutMembers(t *testing.T) {
	res := parse(t, `{"schemas":["`+GroupSchema+`"],"id":"g1","displayName":"Eng",`+
		`"members":[{"value":"u1","display":"B","$ref":"https://x/Users/u1","type":"User"}]}`)
	got := Project(GroupResourceType, res, nil, ParseAttrList("members"))
	want := parse(t, `{"schemas":["`+GroupSchema+`"],"id":"g1","displayName":"Eng"}`)
	if got := parse(t, mustJSON(t, got)); !reflect.DeepEqual(got, want) {
		t.Errorf("Project = %s, want %s", mustJSON(t, got), mustJSON(t, want))
	}
}

// Request-returned attributes appear only when named; the core schemas have
// none, so a resource type is made for the test.
func TestProjectReturnedRequest(t *testing.T) {
	secret := define("badge", String, func(a *Attribute) { a.Returned = ReturnedRequest })
	s := &Schema{ID: "urn:example:params:scim:schemas:core:2.0:Device", Name: "Device",
		Attributes: []*Attribute{define("label", String), secret}}
	rt := &ResourceType{ID: "Device", Name: "Device", Endpoint: "/Devices", Schema: s}
	res := map[string]any{"id": "d1", "label": "L", "badge": "B"}
	tests := []struct {
		attributes []string
		want       map[string]any
	}{
		{nil, map[string]any{"id": "d1", "label": "L"}},
		{[]string{"badge"}, map[string]any{"id": "d1", "badge": "B"}},
		{[]string{s.ID}, map[string]any{"id": "d1", "label": "L", "badge": "B"}},
	}
	for _, tt := range tests {
		if got := Project(rt, res, tt.attributes, nil); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Project(%q) = %v, want %v", tt.attributes, got, tt.want)
		}
	}
}

func TestParseAttrList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"userName", []string{"userName"}},
		{"userName, name.givenName ,emails", []string{"userName", "name.givenName", "emails"}},
		{EnterpriseUserSchema + ":manager.value,id",
			[]string{EnterpriseUserSchema + ":manager.value", "id"}},
	}
	for _, tt := range tests {
		if got := ParseAttrList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAttrList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
