package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimd/scimd/scim"
)

// decode reads a resource the way the server does: json.Decoder.UseNumber.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decode resource: %v", err)
	}
	return res
}

const barbara = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id": "2819c223-7f76-453a-919d-413861904646",
	"externalId": "bjensen",
	"userName": "BJensen@Example.com",
	"name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": ""},
	"displayName": "Babs Jensen",
	"title": "",
	"active": true,
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@jensen.org", "type": "home"}
	],
	"phoneNumbers": [],
	"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza"}],
	"x509Certificates": [{"value": "MIIDQzCC"}],
	"meta": {
		"resourceType": "User",
		"created": "2010-01-23T04:56:22Z",
		"lastModified": "2011-05-13T04:42:34.120+02:00"
	},
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
		"employeeNumber": "701984",
		"department": "Tour Operations",
		"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
	}
}`

const device = `{
	"serial": "SN-Abc", "ports": 24, "weight": 1.25, "seen": "2024-05-01T10:00:00+02:00",
	"tags": ["Edge", "lab"], "firmware": "AAEC",
	"readings": [{"at": "2024-05-01T08:00:00Z", "celsius": 31.5}, {"at": "2024-05-02T08:00:00Z",
		"celsius": 18}],
	"urn:example:scim:schemas:Rack": {"site": "FRA1"}
}`

func TestMatch(t *testing.T) {
	user := decode(t, barbara)
	dev := decode(t, device)
	group := decode(t, `{"displayName": "Admins", "members": [
		{"value": "1", "type": "User"}, {"value": "2", "type": "Group"}]}`)
	lower := decode(t, `{"USERNAME": "x", "EMAILS": [{"VALUE": "a@b.c"}],
		"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"EMPLOYEENUMBER": "1"}}`)

	tests := []struct {
		name string
		rt   *scim.ResourceType
		res  map[string]any
		in   string
		want bool
	}{
		// Case rules: userName is caseExact=false, id and externalId caseExact.
		{"eq-ignores-case", nil, user, `userName eq "bjensen@example.com"`, true},
		{"sw-ignores-case", nil, user, `userName sw "bjen"`, true},
		{"ew-ignores-case", nil, user, `userName ew "EXAMPLE.COM"`, true},
		{"co-ignores-case", nil, user, `displayName co "BABS"`, true},
		{"co-misses", nil, user, `displayName co "Barbara"`, false},
		{"exact-id", nil, user, `id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{"exact-id-same", nil, user, `id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{"exact-external", nil, user, `externalId eq "BJENSEN"`, false},
		{"exact-binary", nil, user, `x509Certificates.value eq "miidqzcc"`, false},
		{"gt-string", nil, user, `userName gt "a"`, true},
		{"gt-string-folded", nil, user, `userName gt "c"`, false},
		{"le-string", nil, user, `name.familyName le "jensen"`, true},
		{"lt-string-exact", deviceType, dev, `serial lt "SN-abc"`, true},

		// Multi-valued attributes match when any value does.
		{"any-email", nil, user, `emails.value eq "babs@jensen.org"`, true},
		{"okta-email", nil, user, `email eq "BJENSEN@example.com"`, true},
		{"complex-value", nil, user, `emails eq "babs@jensen.org"`, true},
		{"any-email-co", nil, user, `emails.value co "jensen"`, true},
		{"no-email", nil, user, `emails.value eq "nobody@example.com"`, false},
		{"simple-multi", deviceType, dev, `tags eq "edge"`, true},
		{"ne-means-none-equal", nil, user, `emails.value ne "babs@jensen.org"`, false},
		{"ne-none-equal", nil, user, `emails.value ne "x@y.z"`, true},
		{"members-value", scim.GroupResourceType, group, `members eq "2"`, true},

		// Value paths match one element on all conditions.
		{"value-path", nil, user, `emails[type eq "work" and value co "@example.com"]`, true},
		{"value-path-same-element", nil, user, `emails[type eq "home" and primary eq true]`, false},
		{"value-path-not", nil, user, `emails[not (type eq "work")]`, true},
		{"value-path-pr", nil, user, `emails[primary pr and type eq "home"]`, false},
		{"entra-form", nil, user, `emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{"entra-form-miss", nil, user, `emails[type eq "home"].value eq "bjensen@example.com"`,
			false},
		{"value-path-single-complex", nil, user, enterprise + `:manager[displayName sw "john"]`,
			true},
		{"value-path-absent", nil, user, `ims[type eq "work"]`, false},
		{"members-type", scim.GroupResourceType, group,
			`members[type eq "group" and value eq "2"]`, true},
		{"dates-in-elements", deviceType, dev,
			`readings[at gt "2024-05-02T09:00:00+02:00" and celsius lt 20]`, true},

		// dateTime compares chronologically, whatever offset and fraction.
		{"date-gt", nil, user, `meta.lastModified gt "2011-05-13T02:42:33Z"`, true},
		{"date-offset-eq", nil, user, `meta.lastModified eq "2011-05-13T02:42:34.12Z"`, true},
		{"date-not-after", nil, user, `meta.lastModified gt "2011-05-13T02:42:34.120Z"`, false},
		{"date-ge-equal", nil, user, `meta.lastModified ge "2011-05-13T04:42:34.12+02:00"`, true},
		{"date-lt", nil, user, `meta.created lt "2010-01-23T05:56:22+01:00"`, false},
		{"date-le", nil, user, `meta.created le "2010-01-23T05:56:22+01:00"`, true},
		{"date-lower-t", deviceType, dev, `seen eq "2024-05-01t08:00:00z"`, true},
		{"date-sw-text", nil, user, `meta.created sw "2010-01"`, true},

		// Numbers compare numerically.
		{"int-eq", deviceType, dev, `ports eq 24.0`, true},
		{"int-gt", deviceType, dev, `ports gt 23`, true},
		{"int-le", deviceType, dev, `ports le 2.4e1`, true},
		{"dec-lt", deviceType, dev, `weight lt 1.3`, true},
		{"dec-ge", deviceType, dev, `weight ge 1.26`, false},
		{"huge", deviceType, dev, `ports lt 1e400`, true},
		{"stored-as-string", deviceType, decode(t, `{"ports": "24"}`), `ports eq 24`, false},

		// Booleans.
		{"bool-eq", nil, user, `active eq true`, true},
		{"bool-ne", nil, user, `active ne true`, false},
		{"bool-stored-as-string", nil, decode(t, `{"active": "true"}`), `active eq true`, false},

		// pr is false for null, "", [], {} and absent.
		{"pr", nil, user, `displayName pr`, true},
		{"pr-empty-string", nil, user, `title pr`, false},
		{"pr-empty-array", nil, user, `phoneNumbers pr`, false},
		{"pr-absent", nil, user, `nickName pr`, false},
		{"pr-sub-empty", nil, user, `name.middleName pr`, false},
		{"pr-complex", nil, user, `name pr`, true},
		{"pr-multi-sub", nil, user, `emails.primary pr`, true},
		{"pr-empty-object", nil, decode(t, `{"name": {}}`), `name pr`, false},
		{"pr-object-of-nulls", nil, decode(t, `{"name": {"givenName": null}}`), `name pr`, false},
		{"pr-null", nil, decode(t, `{"title": null}`), `title pr`, false},

		// Absent attributes and null.
		{"ne-absent", nil, user, `nickName ne "x"`, true},
		{"eq-absent", nil, user, `nickName eq "x"`, false},
		{"eq-null-absent", nil, user, `nickName eq null`, true},
		{"eq-null-empty", nil, user, `title eq null`, true},
		{"eq-null-present", nil, user, `userName eq null`, false},
		{"ne-null-present", nil, user, `userName ne null`, true},
		{"gt-absent", nil, user, `nickName gt "a"`, false},

		// Logic.
		{"and", nil, user, `userName sw "b" and active eq true`, true},
		{"and-false", nil, user, `userName sw "b" and active eq false`, false},
		{"or", nil, user, `userName sw "x" or displayName sw "babs"`, true},
		{"not", nil, user, `not (userName sw "x")`, true},
		{"not-absent", nil, user, `not (nickName pr)`, true},
		{"precedence", nil, user, `userName sw "x" and active eq true or title eq null`, true},
		{"parens", nil, user, `userName sw "x" and (active eq true or title eq null)`, false},

		// Extension attributes live under their schema URN.
		{"extension", nil, user, enterprise + `:employeeNumber eq "701984"`, true},
		{"extension-unqualified", nil, user, `department co "tour"`, true},
		{"extension-complex", nil, user,
			enterprise + `:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{"extension-absent", scim.UserResourceType, dev, enterprise + `:department pr`, false},
		{"own-extension", deviceType, dev, `site eq "fra1"`, true},

		// Keys in any case.
		{"key-case", nil, lower, `userName eq "X"`, true},
		{"key-case-sub", nil, lower, `emails.value eq "a@b.c"`, true},
		{"key-case-urn", nil, lower, enterprise + `:employeeNumber eq "1"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := tt.rt
			if rt == nil {
				rt = scim.UserResourceType
			}
			e, err := Parse(tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(e, rt)
			if err != nil {
				t.Fatal(err)
			}
			if got := Match(r, rt, tt.res); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", String(r), got, tt.want)
			}
		})
	}
}

// TestMatchUnresolved covers a tree that did not go through Resolve and a
// nil resource type: strings compare without regard to case, dates as text.
func TestMatchUnresolved(t *testing.T) {
	user := decode(t, barbara)
	res := map[string]any{"n": 3.0, "i": 7, "j": int64(-2), "s": "x"}
	tests := []struct {
		in   string
		res  map[string]any
		want bool
	}{
		{`USERNAME eq "bjensen@example.com"`, user, true},
		{`emails eq "BABS@jensen.org"`, user, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, user, true},
		{`n eq 3 and i gt 6.5 and j lt 0`, res, true},
		{`s gt 1`, res, false},
		{`bogus.sub eq "x"`, user, false},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(e, nil, tt.res); got != tt.want {
			t.Errorf("Match(%s, nil) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
