// Package scim holds the SCIM 2.0 protocol without I/O: schema definitions
// (RFC 7643), resources as attribute trees, errors with scimType, list
// responses and the discovery documents (RFC 7644 §4).
package scim

import "strings"

// Schema URNs defined by RFC 7643 and RFC 7644.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	ListResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorSchema          = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpSchema        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestSchema  = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestSchema    = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	ServiceProviderCfgID = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema         = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Type is the data type of an attribute (RFC 7643 §2.3).
type Type string

// Attribute data types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Binary    Type = "binary"
	Reference Type = "reference"
	Complex   Type = "complex"
)

// Mutability says whether and how a client may change an attribute
// (RFC 7643 §2.2).
type Mutability string

// Mutability values.
const (
	ReadWrite Mutability = "readWrite"
	ReadOnly  Mutability = "readOnly"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §2.2).
type Returned string

// Returned values.
const (
	ReturnedAlways  Returned = "always"
	ReturnedNever   Returned = "never"
	ReturnedDefault Returned = "default"
	ReturnedRequest Returned = "request"
)

// Uniqueness says how unique an attribute's value is (RFC 7643 §2.2).
type Uniqueness string

// Uniqueness values.
const (
	UniqueNone   Uniqueness = "none"
	UniqueServer Uniqueness = "server"
	UniqueGlobal Uniqueness = "global"
)

// Attribute describes one attribute of a schema, or a sub-attribute of a
// complex attribute.
type Attribute struct {
	Name            string       `json:"name"`
	Type            Type         `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description,omitempty"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      Mutability   `json:"mutability"`
	Returned        Returned     `json:"returned"`
	Uniqueness      Uniqueness   `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute called name, matched without regard to
// case, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

// Schema is a named set of attributes (RFC 7643 §7).
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
}

// Attribute returns the top-level attribute called name, matched without
// regard to case, or nil.
func (s *Schema) Attribute(name string) *Attribute {
	return find(s.Attributes, name)
}

// Extension is a schema extension of a resource type.
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType binds an endpoint to a core schema and its extensions
// (RFC 7643 §6).
type ResourceType struct {
	ID          string
	Name        string
	Endpoint    string
	Description string
	Schema      *Schema
	Extensions  []Extension
}

// Extension returns the extension schema with the given URN, matched without
// regard to case, or nil.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// SchemaFor returns the core schema or the extension schema with the given
// URN, or nil.
func (rt *ResourceType) SchemaFor(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// Common attributes (RFC 7643 §3.1) that every resource carries beside its
// schema's own.
var (
	idAttribute = &Attribute{
		Name: "id", Type: String, CaseExact: true,
		Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniqueServer,
	}
	externalIDAttribute = &Attribute{
		Name: "externalId", Type: String, CaseExact: true,
		Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone,
	}
	metaAttribute = &Attribute{
		Name: "meta", Type: Complex, Mutability: ReadOnly, Returned: ReturnedDefault,
		Uniqueness: UniqueNone,
		SubAttributes: []*Attribute{
			{Name: "resourceType", Type: String, CaseExact: true, Mutability: ReadOnly,
				Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "created", Type: DateTime, Mutability: ReadOnly,
				Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "lastModified", Type: DateTime, Mutability: ReadOnly,
				Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "location", Type: Reference, ReferenceTypes: []string{"uri"},
				CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault,
				Uniqueness: UniqueNone},
			{Name: "version", Type: String, CaseExact: true, Mutability: ReadOnly,
				Returned: ReturnedDefault, Uniqueness: UniqueNone},
		},
	}
	schemasAttribute = &Attribute{
		Name: "schemas", Type: Reference, MultiValued: true, CaseExact: true,
		ReferenceTypes: []string{"uri"}, Required: true,
		Mutability: ReadWrite, Returned: ReturnedAlways, Uniqueness: UniqueNone,
	}
)

// CommonAttributes lists id, externalId, meta and schemas: the attributes
// of RFC 7643 §3.1 that belong to no schema but appear on every resource.
var CommonAttributes = []*Attribute{idAttribute, externalIDAttribute, metaAttribute, schemasAttribute}

// Lookup resolves an attribute path to its definition. urn may be empty (the
// core schema and the common attributes are searched) or a schema URN of
// the resource type; sub may be empty. Names match without regard to case.
// It returns nil when the path names no known attribute.
func (rt *ResourceType) Lookup(urn, name, sub string) *Attribute {
	var a *Attribute
	switch {
	case urn == "":
		a = find(CommonAttributes, name)
		if a == nil {
			a = rt.Schema.Attribute(name)
		}
	default:
		s := rt.SchemaFor(urn)
		if s == nil {
			return nil
		}
		a = s.Attribute(name)
		if a == nil && s == rt.Schema {
			a = find(CommonAttributes, name)
		}
	}
	if a == nil || sub == "" {
		return a
	}
	return a.Sub(sub)
}

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}
