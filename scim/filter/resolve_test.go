package filter

import (
	"testing"

	"github.com/scimd/scimd/scim"
)

// deviceType is a resource type of our own, with the attribute types the
// User and Group schemas lack and two extensions that share a name.
var deviceType = &scim.ResourceType{
	ID: "Device", Name: "Device", Endpoint: "/Devices",
	Schema: &scim.Schema{ID: "urn:example:scim:schemas:Device", Attributes: []*scim.Attribute{
		{Name: "serial", Type: scim.String, CaseExact: true},
		{Name: "ports", Type: scim.Integer},
		{Name: "weight", Type: scim.Decimal},
		{Name: "seen", Type: scim.DateTime},
		{Name: "tags", Type: scim.String, MultiValued: true},
		{Name: "firmware", Type: scim.Binary, CaseExact: true},
		{Name: "readings", Type: scim.Complex, MultiValued: true, SubAttributes: []*scim.Attribute{
			{Name: "at", Type: scim.DateTime},
			{Name: "celsius", Type: scim.Decimal},
		}},
	}},
	Extensions: []scim.Extension{
		{Schema: &scim.Schema{ID: "urn:example:scim:schemas:Rack", Attributes: []*scim.Attribute{
			{Name: "site", Type: scim.String},
			{Name: "owner", Type: scim.String},
		}}},
		{Schema: &scim.Schema{ID: "urn:example:scim:schemas:Lease", Attributes: []*scim.Attribute{
			{Name: "owner", Type: scim.String},
		}}},
	},
}

func TestResolve(t *testing.T) {
	user, group := scim.UserResourceType, scim.GroupResourceType
	tests := []struct {
		name string
		rt   *scim.ResourceType
		in   string
		want string // String of the resolved tree
	}{
		{"canonical-case", user, `USERNAME eq "b" and Name.FamilyName pr`,
			`userName eq "b" and name.familyName pr`},
		{"common-attrs", user, `ID eq "1" or EXTERNALID eq "x" or meta.LASTMODIFIED gt ` +
			`"2024-01-01T00:00:00Z"`, `id eq "1" or externalId eq "x" or meta.lastModified gt ` +
			`"2024-01-01T00:00:00Z"`},
		{"core-urn-stripped", user, scim.UserSchema + `:userName eq "b"`, `userName eq "b"`},
		{"core-urn-common", user, `urn:ietf:params:scim:schemas:core:2.0:user:id pr`, `id pr`},
		{"extension-canonical", user, `URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:` +
			`EMPLOYEENUMBER eq "7"`, enterprise + `:employeeNumber eq "7"`},
		{"unqualified-extension", user, `department eq "R&D"`, enterprise + `:department eq "R&D"`},
		{"okta-email", user, `email eq "b@example.com"`, `emails.value eq "b@example.com"`},
		{"okta-email-any-case", user, `Email sw "b"`, `emails.value sw "b"`},
		{"okta-email-pr", user, `email pr`, `emails.value pr`},
		{"complex-value-emails", user, `emails eq "b@example.com"`, `emails.value eq "b@example.com"`},
		{"complex-value-members", group, `members eq "2819c223"`, `members.value eq "2819c223"`},
		{"complex-value-manager", user, enterprise + `:manager eq "9"`,
			enterprise + `:manager.value eq "9"`},
		{"complex-pr-untouched", user, `emails pr and name pr`, `emails pr and name pr`},
		{"value-path", user, `EMAILS[TYPE eq "work" and Value co "@x"]`,
			`emails[type eq "work" and value co "@x"]`},
		{"value-path-ref", group, `members[$REF eq "https://x/Users/1"]`,
			`members[$ref eq "https://x/Users/1"]`},
		{"entra-form", user, `emails[type eq "work"].value eq "b@x"`,
			`emails[type eq "work" and value eq "b@x"]`},
		{"bool-string", user, `active eq "True" or active ne "false"`,
			`active eq true or active ne false`},
		{"null", user, `title eq null and active ne null`, `title eq null and active ne null`},
		{"not", user, `not (userName sw "a")`, `not (userName sw "a")`},
		{"group", group, `displayName eq "Admins" and members[value eq "1"]`,
			`displayName eq "Admins" and members[value eq "1"]`},
		{"numbers", deviceType, `ports gt 2 and weight le 1.5`, `ports gt 2 and weight le 1.5`},
		{"datetime-offset", deviceType, `seen ge "2024-05-01T10:00:00.5+02:00"`,
			`seen ge "2024-05-01T10:00:00.5+02:00"`},
		{"datetime-sw", deviceType, `seen sw "2024-05"`, `seen sw "2024-05"`},
		{"sub-datetime", deviceType, `readings[at lt "2024-01-01T00:00:00Z" and celsius gt 30]`,
			`readings[at lt "2024-01-01T00:00:00Z" and celsius gt 30]`},
		{"unique-extension", deviceType, `site eq "fra1"`,
			`urn:example:scim:schemas:Rack:site eq "fra1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			before := String(e)
			r, err := Resolve(e, tt.rt)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.in, err)
			}
			if got := String(r); got != tt.want {
				t.Errorf("Resolve(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if String(e) != before {
				t.Errorf("Resolve changed its input: %s became %s", before, String(e))
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	user, group := scim.UserResourceType, scim.GroupResourceType
	tests := []struct {
		name string
		rt   *scim.ResourceType
		in   string
		want string
	}{
		{"unknown", user, `nickname eq "b" and shoeSize gt 4`,
			`filter: unknown attribute "shoeSize"; User resources have no such attribute`},
		{"members-on-user", user, `members eq "1"`, `unknown attribute "members"; User resources`},
		{"unknown-in-extension", user, enterprise + `:shoeSize pr`,
			`unknown attribute "shoeSize" in schema "` + enterprise + `"`},
		{"unknown-schema", user, `urn:example:Other:x pr`,
			`unknown schema "urn:example:Other"; User resources use "` + scim.UserSchema + `", "` +
				enterprise + `"`},
		{"extension-on-group", group, enterprise + `:employeeNumber pr`,
			`unknown schema "` + enterprise + `"; Group resources use`},
		{"schema-not-attribute", user, enterprise + ` pr`,
			`"` + enterprise + `" is a schema, not an attribute; name one of its attributes, ` +
				`as in "` + enterprise + `:employeeNumber"`},
		{"unknown-sub", user, `name.nick eq "b"`,
			`unknown sub-attribute "nick" of "name"; it has formatted, familyName, givenName`},
		{"sub-of-simple", user, `userName.first eq "b"`,
			`"userName" has no sub-attributes; remove ".first"`},
		{"unknown-in-value-path", user, `emails[kind eq "work"]`,
			`unknown sub-attribute "kind" of "emails"; it has value, display, type, primary`},
		{"value-path-on-simple", user, `userName[value eq "b"]`,
			`"userName" is not a complex attribute; a [value filter] applies to attributes ` +
				`such as "emails"`},
		{"complex-without-value", user, `name eq "Barbara"`,
			`"name" is complex; compare one of its sub-attributes, such as "name.formatted", ` +
				`or test it with pr`},
		{"complex-meta", user, `meta gt "x"`, `"meta" is complex`},
		{"gt-boolean", user, `emails[primary gt "a"]`,
			`"primary" is a boolean; gt does not apply to it, only eq, ne and pr`},
		{"lt-binary", deviceType, `firmware lt "AAAA"`, `"firmware" is a binary; lt does not apply`},
		{"string-for-number", deviceType, `ports eq "4"`,
			`"ports" is an integer; compare it with a number such as 42, not "4"`},
		{"number-for-string", user, `userName eq 5`,
			`"userName" is a string; compare it with a quoted string, not 5`},
		{"bool-for-string", user, `title eq true`, `compare it with a quoted string, not true`},
		{"word-for-bool", user, `active eq "yes"`,
			`"active" is a boolean; compare it with true or false, not "yes"`},
		{"number-for-bool", user, `active eq 1`, `compare it with true or false, not 1`},
		{"bad-datetime", user, `meta.created gt "yesterday"`,
			`"meta.created" is a dateTime; compare it with an RFC 3339 timestamp such as ` +
				`"2011-05-13T04:42:34Z", not "yesterday"`},
		{"date-only", user, `meta.created gt "2024-01-01"`, `not "2024-01-01"`},
		{"number-for-datetime", deviceType, `seen gt 5`, `"seen" is a dateTime`},
		{"ambiguous-extension", deviceType, `owner eq "x"`,
			`unknown attribute "owner"; Device resources have no such attribute`},
		{"in-not", user, `not (bogus pr)`, `unknown attribute "bogus"`},
		{"in-or-right", user, `userName pr or bogus pr`, `unknown attribute "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(e, tt.rt)
			if err == nil {
				t.Fatalf("Resolve(%q) = %s, want an error", tt.in, String(r))
			}
			wantSCIMError(t, err, scim.ErrInvalidFilter, tt.want)
		})
	}
}

func TestResolvePath(t *testing.T) {
	user, group := scim.UserResourceType, scim.GroupResourceType
	tests := []struct {
		name string
		rt   *scim.ResourceType
		in   string
		want string // String of the resolved path, or the error detail fragment
		ok   bool
	}{
		{"attr", user, `DISPLAYNAME`, `displayName`, true},
		{"sub", user, `name.GIVENNAME`, `name.givenName`, true},
		{"core-urn", user, scim.UserSchema + `:name.familyName`, `name.familyName`, true},
		{"entra-manager", user, enterprise + `:manager`, enterprise + `:manager`, true},
		{"entra-address", user, `addresses[type eq "work"].streetAddress`,
			`addresses[type eq "work"].streetAddress`, true},
		{"filter-sub-case", user, `EMAILS[TYPE eq "work"].VALUE`, `emails[type eq "work"].value`, true},
		{"members", group, `members[value eq "2819c223"]`, `members[value eq "2819c223"]`, true},
		{"complex-path-not-rewritten", group, `members`, `members`, true},
		{"no-email-alias", user, `email`, `path: unknown attribute "email"`, false},
		{"unknown", user, `nickNam`, `path: unknown attribute "nickNam"; User resources`, false},
		{"unknown-sub", user, `name.first`, `path: unknown sub-attribute "first" of "name"`, false},
		{"unknown-sub-after-filter", user, `emails[type eq "work"].address`,
			`path: unknown sub-attribute "address" of "emails"`, false},
		{"unknown-in-filter", group, `members[id eq "1"]`,
			`path: unknown sub-attribute "id" of "members"`, false},
		{"filter-on-simple", user, `userName[value eq "x"]`,
			`path: "userName" is not a complex attribute`, false},
		{"bad-value-in-filter", user, `emails[primary eq "maybe"]`,
			`path: "primary" is a boolean; compare it with true or false`, false},
		{"schema-as-path", user, enterprise, `path: "` + enterprise + `" is a schema`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ResolvePath(p, tt.rt)
			if !tt.ok {
				wantSCIMError(t, err, scim.ErrInvalidPath, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("ResolvePath(%q): %v", tt.in, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("ResolvePath(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
