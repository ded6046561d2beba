package sqlstore

import (
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// attr is a resolved attribute path.
type attr struct {
	name string          // as the client may read it, for messages
	top  *scim.Attribute // the top-level attribute
	sub  *scim.Attribute // the named sub-attribute; nil when none
	urn  string          // the extension schema's id; "" for core and common
}

// def returns the attribute the path ends at.
func (a attr) def() *scim.Attribute {
	if a.sub != nil {
		return a.sub
	}
	return a.top
}

// keys returns the path of a's value in the document.
func (a attr) keys() []string {
	var keys []string
	if a.urn != "" {
		keys = append(keys, a.urn)
	}
	keys = append(keys, a.top.Name)
	if a.sub != nil {
		keys = append(keys, a.sub.Name)
	}
	return keys
}

// resolve finds the definition of a top-level attribute path in the
// resource type; an unknown name is a 400 invalidFilter.
func (c *compiler) resolve(p filter.AttrPath) (attr, error) {
	name := p.Name
	if p.Sub != "" {
		name += "." + p.Sub
	}
	if p.URN != "" {
		name = p.URN + ":" + name
	}
	a := attr{name: name}
	a.top = c.rt.Lookup(p.URN, p.Name, "")
	if a.top == nil {
		return a, invalid("%s has no attribute %q", c.rt.Name, name)
	}
	if p.URN != "" && !strings.EqualFold(p.URN, c.rt.Schema.ID) {
		a.urn = c.rt.SchemaFor(p.URN).ID
	}
	if p.Sub != "" {
		if a.top.Type != scim.Complex {
			return a, invalid("%q is not complex and has no sub-attribute %q", p.Name, p.Sub)
		}
		if a.sub = a.top.Sub(p.Sub); a.sub == nil {
			return a, invalid("%s has no attribute %q", c.rt.Name, name)
		}
	}
	return a, nil
}

// special reports which stored form serves a: "column", "emails",
// "membership" or "" for the JSON document.
func (c *compiler) special(a attr) string {
	if a.urn != "" {
		return ""
	}
	sub := ""
	if a.sub != nil {
		sub = a.sub.Name
	}
	switch {
	case c.kind == directory.KindUser && a.top.Name == "emails" && (sub == "" || sub == "value"):
		return "emails"
	case c.kind == directory.KindUser && a.top.Name == "groups",
		c.kind == directory.KindGroup && a.top.Name == "members":
		return "membership"
	}
	if _, ok := c.column(a); ok {
		return "column"
	}
	return ""
}

// scalar is a SQL expression compared as an attribute of the given type.
type scalar struct {
	expr   string
	typ    scim.Type
	exact  bool // caseExact
	folded bool // expr holds fold(value): only the operand needs folding
}

// column returns the lookup column that holds a, if one does.
func (c *compiler) column(a attr) (scalar, bool) {
	if a.urn != "" {
		return scalar{}, false
	}
	key := a.top.Name
	if a.sub != nil {
		key += "." + a.sub.Name
	}
	switch key {
	case "id":
		return scalar{expr: "r.id", typ: scim.String, exact: true}, true
	case "externalId":
		return scalar{expr: "r.external_id", typ: scim.String, exact: true}, true
	case "meta.created":
		return scalar{expr: "r.created", typ: scim.DateTime}, true
	case "meta.lastModified":
		return scalar{expr: "r.modified", typ: scim.DateTime}, true
	case "meta.resourceType":
		return scalar{expr: "'" + string(c.kind) + "'", typ: scim.String, exact: true}, true
	case "meta.version":
		// The weak ETag that directory.ETag renders.
		return scalar{expr: `('W/"' || r.version || '"')`, typ: scim.String, exact: true}, true
	}
	if c.kind == directory.KindUser {
		switch key {
		case "userName":
			return scalar{expr: "r.user_name_fold", typ: scim.String, folded: true}, true
		case "displayName":
			return scalar{expr: "r.display_name", typ: scim.String}, true
		case "active":
			return scalar{expr: "r.active", typ: scim.Boolean}, true
		}
		return scalar{}, false
	}
	if key == "displayName" {
		return scalar{expr: "r.display_name_fold", typ: scim.String, folded: true}, true
	}
	return scalar{}, false
}
