package scim

import (
	"reflect"
	"strings"
	"testing"
)

// TestSchemaCharacteristics pins the characteristics RFC 7643 gives the
// attributes whose behaviour scimd depends on. want lists the type, then
// "multi", "required" and "caseExact" when set, then mutability, returned
// and uniqueness.
func TestSchemaCharacteristics(t *testing.T) {
	const mgr = EnterpriseUserSchema + ":manager"
	user, group := UserResourceType, GroupResourceType
	tests := []struct {
		rt   *ResourceType
		path string
		want string
	}{
		{user, "id", "string caseExact readOnly always server"},
		{user, "schemas", "reference multi required caseExact readWrite always none"},
		{user, "userName", "string required readWrite default server"},
		{user, "name.honorificSuffix", "string readWrite default none"},
		{user, "active", "boolean readWrite default none"},
		{user, "password", "string writeOnly never none"},
		{user, "emails", "complex multi readWrite default none"},
		{user, "emails.primary", "boolean readWrite default none"},
		{user, "profileUrl", "reference readWrite default none"},
		{user, "photos.value", "reference readWrite default none"},
		{user, "groups", "complex multi readOnly default none"},
		{user, "groups.$ref", "reference readOnly default none"},
		{user, "x509Certificates.value", "binary caseExact readWrite default none"},
		{user, EnterpriseUserSchema + ":employeeNumber", "string readWrite default none"},
		{user, mgr, "complex readWrite default none"},
		{user, mgr + ".value", "string readWrite default none"},
		{user, mgr + ".displayName", "string readOnly default none"},
		{group, "displayName", "string required readWrite default none"},
		{group, "members", "complex multi readWrite default none"},
		{group, "members.value", "string immutable default none"},
		{group, "members.type", "string immutable default none"},
		{group, "members.display", "string readWrite default none"},
	}
	for _, tt := range tests {
		_, a, sub := resolve(tt.rt, tt.path)
		if sub != nil {
			a = sub
		}
		if a == nil {
			t.Errorf("%s %s: not defined", tt.rt.Name, tt.path)
			continue
		}
		got := []string{string(a.Type)}
		for _, f := range []struct {
			set  bool
			name string
		}{{a.MultiValued, "multi"}, {a.Required, "required"}, {a.CaseExact, "caseExact"}} {
			if f.set {
				got = append(got, f.name)
			}
		}
		got = append(got, string(a.Mutability), string(a.Returned), string(a.Uniqueness))
		if s := strings.Join(got, " "); s != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.rt.Name, tt.path, s, tt.want)
		}
	}
}

// Every attribute the RFC defines is there, with its sub-attributes.
func TestSchemaAttributeNames(t *testing.T) {
	tests := []struct {
		s    *Schema
		want string // top-level names; sub-attribute names in parentheses
	}{
		{userSchema, "userName name(formatted familyName givenName middleName honorificPrefix " +
			"honorificSuffix) displayName nickName profileUrl title userType preferredLanguage " +
			"locale timezone active password emails(value display type primary) " +
			"phoneNumbers(value display type primary) ims(value display type primary) " +
			"photos(value display type primary) addresses(formatted streetAddress locality " +
			"region postalCode country type primary) groups(value $ref display type) " +
			"entitlements(value display type primary) roles(value display type primary) " +
			"x509Certificates(value display type primary)"},
		{groupSchema, "displayName members(value $ref type display)"},
		{enterpriseUserSchema, "employeeNumber costCenter organization division department " +
			"manager(value $ref displayName)"},
	}
	for _, tt := range tests {
		var names []string
		for _, a := range tt.s.Attributes {
			n := a.Name
			if len(a.SubAttributes) > 0 {
				var subs []string
				for _, s := range a.SubAttributes {
					subs = append(subs, s.Name)
				}
				n += "(" + strings.Join(subs, " ") + ")"
			}
			names = append(names, n)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("%s attributes =\n%s\nwant\n%s", tt.s.Name, got, tt.want)
		}
	}
}

func TestCanonicalValues(t *testing.T) {
	tests := []struct {
		attr string
		want []string
	}{
		{"emails", []string{"work", "home", "other"}},
		{"phoneNumbers", []string{"work", "home", "mobile", "fax", "pager", "other"}},
		{"ims", []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}},
		{"photos", []string{"photo", "thumbnail"}},
		{"addresses", []string{"work", "home", "other"}},
		{"groups", []string{"direct", "indirect"}},
		{"roles", nil},
	}
	for _, tt := range tests {
		got := UserResourceType.Lookup("", tt.attr, "type").CanonicalValues
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.type canonical values = %q, want %q", tt.attr, got, tt.want)
		}
	}
	got := GroupResourceType.Lookup("", "members", "type").CanonicalValues
	if want := []string{"User", "Group"}; !reflect.DeepEqual(got, want) {
		t.Errorf("members.type canonical values = %q, want %q", got, want)
	}
}

// Every attribute states all its characteristics, so that discovery
// documents carry no empty strings.
func TestSchemaComplete(t *testing.T) {
	var check func(s *Schema, path string, attrs []*Attribute)
	check = func(s *Schema, path string, attrs []*Attribute) {
		seen := map[string]bool{}
		for _, a := range attrs {
			p := path + a.Name
			if a.Type == "" || a.Mutability == "" || a.Returned == "" || a.Uniqueness == "" ||
				a.Description == "" {
				t.Errorf("%s %s: characteristic missing: %+v", s.Name, p, *a)
			}
			if seen[strings.ToLower(a.Name)] {
				t.Errorf("%s %s: defined twice", s.Name, p)
			}
			seen[strings.ToLower(a.Name)] = true
			if (a.Type == Complex) != (len(a.SubAttributes) > 0) {
				t.Errorf("%s %s: type %s with %d sub-attributes", s.Name, p, a.Type,
					len(a.SubAttributes))
			}
			check(s, p+".", a.SubAttributes)
		}
	}
	for _, s := range Schemas() {
		check(s, "", s.Attributes)
	}
}

func TestLookupByID(t *testing.T) {
	for _, name := range []string{"User", "users", "/Users"} {
		if got := ResourceTypeByID(name); got != UserResourceType {
			t.Errorf("ResourceTypeByID(%q) = %v, want User", name, got)
		}
	}
	if got := ResourceTypeByID("Devices"); got != nil {
		t.Errorf("ResourceTypeByID(Devices) = %v, want nil", got)
	}
	if got := SchemaByID(strings.ToUpper(GroupSchema)); got != groupSchema {
		t.Errorf("SchemaByID(Group) = %v", got)
	}
	if got := SchemaByID("urn:example:x"); got != nil {
		t.Errorf("SchemaByID(urn:example:x) = %v, want nil", got)
	}
}
