package scim

import "strings"

// The resource schemas of RFC 7643: User (§4.1), Group (§4.2) and the
// Enterprise User extension (§4.3), with the characteristics that §8.7.1
// gives each attribute. Descriptions are our own wording.

// attrOption adjusts one characteristic of an attribute being defined.
type attrOption func(*Attribute)

func required(a *Attribute)  { a.Required = true }
func caseExact(a *Attribute) { a.CaseExact = true }
func multi(a *Attribute)     { a.MultiValued = true }

func readOnly(a *Attribute) { a.Mutability = ReadOnly }

func immutable(a *Attribute) { a.Mutability = Immutable }

func uniqueServer(a *Attribute) { a.Uniqueness = UniqueServer }

func describe(s string) attrOption { return func(a *Attribute) { a.Description = s } }

func canonical(values ...string) attrOption {
	return func(a *Attribute) { a.CanonicalValues = values }
}

func refTypes(types ...string) attrOption {
	return func(a *Attribute) { a.ReferenceTypes = types }
}

// define returns an attribute with the RFC's usual characteristics
// (readWrite, returned by default, no uniqueness, case-insensitive) adjusted
// by opts.
func define(name string, t Type, opts ...attrOption) *Attribute {
	a := &Attribute{
		Name: name, Type: t,
		Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone,
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// complexOf returns a complex attribute with the given sub-attributes.
func complexOf(name string, subs []*Attribute, opts ...attrOption) *Attribute {
	a := define(name, Complex, opts...)
	a.SubAttributes = subs
	return a
}

// valueList returns the multi-valued complex attribute shape that RFC 7643
// §2.4 gives most lists: value, display, type and primary.
func valueList(name, what string, value *Attribute, types ...string) *Attribute {
	typ := define("type", String, describe("The kind of "+what+"."))
	if len(types) > 0 {
		typ.CanonicalValues = types
	}
	return complexOf(name, []*Attribute{
		value,
		define("display", String, describe("A name for the "+what+", for display.")),
		typ,
		define("primary", Boolean, describe("Whether this is the preferred "+what+
			"; at most one value may be primary.")),
	}, multi, describe("The user's "+what+"s."))
}

var userSchema = &Schema{
	ID:          UserSchema,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		define("userName", String, required, uniqueServer,
			describe("The identifier the user signs in with; unique among the "+
				"account's users, compared without regard to case but otherwise "+
				"exactly, without Unicode normalization.")),
		complexOf("name", []*Attribute{
			define("formatted", String, describe("The full name as it is displayed.")),
			define("familyName", String, describe("The family (last) name.")),
			define("givenName", String, describe("The given (first) name.")),
			define("middleName", String, describe("The middle name or names.")),
			define("honorificPrefix", String, describe("A title before the name, such as 'Dr.'.")),
			define("honorificSuffix", String, describe("A suffix after the name, such as 'III'.")),
		}, describe("The parts of the user's real name.")),
		define("displayName", String, describe("The name to show for the user.")),
		define("nickName", String, describe("The casual name of the user.")),
		define("profileUrl", Reference, refTypes("external"),
			describe("A URL of the user's online profile.")),
		define("title", String, describe("The user's job title.")),
		define("userType", String,
			describe("The relation of the user to the organization, such as 'Employee'.")),
		define("preferredLanguage", String,
			describe("The user's preferred language, such as 'en-US'.")),
		define("locale", String,
			describe("The user's locale for formatting dates, numbers and currency.")),
		define("timezone", String,
			describe("The user's time zone in IANA form, such as 'Europe/Berlin'.")),
		define("active", Boolean, describe("Whether the user may sign in.")),
		define("password", String, func(a *Attribute) {
			a.Mutability = WriteOnly
			a.Returned = ReturnedNever
		}, describe("A password to set; it is never returned.")),
		valueList("emails", "email address",
			define("value", String, describe("The email address.")),
			"work", "home", "other"),
		valueList("phoneNumbers", "phone number",
			define("value", String, describe("The phone number, ideally per RFC 3966.")),
			"work", "home", "mobile", "fax", "pager", "other"),
		valueList("ims", "instant messaging address",
			define("value", String, describe("The instant messaging address.")),
			"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		valueList("photos", "photo",
			define("value", Reference, refTypes("external"),
				describe("The URL of the photo.")),
			"photo", "thumbnail"),
		complexOf("addresses", []*Attribute{
			define("formatted", String, describe("The full address as it is displayed.")),
			define("streetAddress", String, describe("The street, number and extra lines.")),
			define("locality", String, describe("The city or locality.")),
			define("region", String, describe("The state or region.")),
			define("postalCode", String, describe("The postal code.")),
			define("country", String, describe("The country.")),
			define("type", String, canonical("work", "home", "other"),
				describe("The kind of address.")),
			// RFC 7643 §8.7.1 omits primary here, but §2.4 gives it to every
			// multi-valued attribute and identity providers send it.
			define("primary", Boolean, describe("Whether this is the preferred address.")),
		}, multi, describe("The user's postal addresses.")),
		complexOf("groups", []*Attribute{
			define("value", String, readOnly, describe("The id of the group.")),
			define("$ref", Reference, readOnly, refTypes("User", "Group"),
				describe("The URI of the group.")),
			define("display", String, readOnly, describe("The group's displayName.")),
			define("type", String, readOnly, canonical("direct", "indirect"),
				describe("Whether the membership is direct or through another group.")),
		}, multi, readOnly, describe("The groups the user belongs to; "+
			"change them through the Group resources.")),
		valueList("entitlements", "entitlement",
			define("value", String, describe("The entitlement."))),
		valueList("roles", "role",
			define("value", String, describe("The role."))),
		valueList("x509Certificates", "certificate",
			// Binary values compare exactly (RFC 7643 §2.3.6).
			define("value", Binary, caseExact,
				describe("The DER certificate, base64-encoded."))),
	},
}

var groupSchema = &Schema{
	ID:          GroupSchema,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		// RFC 7643 §4.2 calls displayName REQUIRED, although §8.7.1 lists it
		// as not required; identity providers always send it.
		define("displayName", String, required,
			describe("The name of the group.")),
		complexOf("members", []*Attribute{
			define("value", String, immutable, describe("The id of the member.")),
			define("$ref", Reference, immutable, refTypes("User", "Group"),
				describe("The URI of the member.")),
			define("type", String, immutable, canonical("User", "Group"),
				describe("The member's resource type.")),
			define("display", String, describe("The member's name, for display.")),
		}, multi, describe("The users and groups in the group.")),
	},
}

var enterpriseUserSchema = &Schema{
	ID:          EnterpriseUserSchema,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		define("employeeNumber", String,
			describe("The number the organization gives the person.")),
		define("costCenter", String, describe("The cost center.")),
		define("organization", String, describe("The organization.")),
		define("division", String, describe("The division.")),
		define("department", String, describe("The department.")),
		complexOf("manager", []*Attribute{
			define("value", String, describe("The id of the manager's User.")),
			define("$ref", Reference, refTypes("User"),
				describe("The URI of the manager's User.")),
			define("displayName", String, readOnly, describe("The manager's name.")),
		}, describe("The user's manager.")),
	},
}

// UserResourceType is the User resource type at /Users, with the Enterprise
// User extension as optional.
var UserResourceType = &ResourceType{
	ID:          "User",
	Name:        "User",
	Endpoint:    "/Users",
	Description: "User Account",
	Schema:      userSchema,
	Extensions:  []Extension{{Schema: enterpriseUserSchema, Required: false}},
}

// GroupResourceType is the Group resource type at /Groups.
var GroupResourceType = &ResourceType{
	ID:          "Group",
	Name:        "Group",
	Endpoint:    "/Groups",
	Description: "Group",
	Schema:      groupSchema,
}

// ResourceTypes returns the resource types scimd serves, User first. The
// slice is new on every call; the resource types it points to are shared
// and must not be changed.
func ResourceTypes() []*ResourceType {
	return []*ResourceType{UserResourceType, GroupResourceType}
}

// Schemas returns every schema of every resource type: User, Enterprise
// User, Group. The slice is new on every call; the schemas are shared and
// must not be changed.
func Schemas() []*Schema {
	return []*Schema{userSchema, enterpriseUserSchema, groupSchema}
}

// ResourceTypeByID returns the resource type whose id or endpoint matches
// name without regard to case ("User", "Users", "/Users"), or nil.
func ResourceTypeByID(name string) *ResourceType {
	for _, rt := range ResourceTypes() {
		if strings.EqualFold(rt.ID, name) || strings.EqualFold(rt.Endpoint, name) ||
			strings.EqualFold(rt.Endpoint[1:], name) {
			return rt
		}
	}
	return nil
}

// SchemaByID returns the schema with the given URN, matched without regard
// to case, or nil.
func SchemaByID(urn string) *Schema {
	for _, s := range Schemas() {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}
