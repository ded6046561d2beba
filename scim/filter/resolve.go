package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/scim"
)

// Resolve checks every attribute path of e against rt and returns a new tree
// in which:
//
//   - names are spelled as the schema spells them, whatever case the client
//     used;
//   - AttrPath.URN is "" for attributes of the core schema and the common
//     attributes (id, externalId, meta, schemas), and the extension's schema
//     ID otherwise; an unqualified name found in no core attribute but in
//     exactly one extension is qualified with that extension;
//   - Okta's "email" (sent when its unique identifier field is the email)
//     becomes "emails.value";
//   - a comparison of a complex attribute that has a "value" sub-attribute,
//     as in `members eq "2819c223"`, compares that sub-attribute;
//   - "true" and "false" sent as strings for a boolean attribute become
//     booleans.
//
// Attribute paths inside a value path name sub-attributes of its attribute
// and keep an empty URN. e is not modified. Every error is a *scim.Error
// with status 400 and scimType invalidFilter: an unknown schema, attribute
// or sub-attribute; a comparison of a complex attribute without a "value"
// sub-attribute; gt, ge, lt or le on a boolean or binary attribute; or a
// value of the wrong type, such as a number for a string attribute or a
// dateTime that is not RFC 3339.
func Resolve(e Expr, rt *scim.ResourceType) (Expr, error) {
	r := &resolver{rt: rt, noun: "filter", scimType: scim.ErrInvalidFilter}
	return r.expr(e, nil)
}

// ResolvePath checks p against rt like Resolve and returns it with canonical
// names. Aliases do not apply: a PATCH path names the attribute it changes.
// Every error is a *scim.Error with status 400 and scimType invalidPath.
func ResolvePath(p Path, rt *scim.ResourceType) (Path, error) {
	r := &resolver{rt: rt, noun: "path", scimType: scim.ErrInvalidPath}
	attr, def, err := r.attr(p.Attr, false)
	if err != nil {
		return Path{}, err
	}
	out := Path{Attr: attr}
	if p.Filter == nil && p.Sub == "" {
		return out, nil
	}

	if attr.Sub != "" || def.Type != scim.Complex {
		return Path{}, r.fail("%q is not a complex attribute; a [value filter] or a "+
			"sub-attribute after it applies to attributes such as \"emails\"", attr.String())
	}
	if p.Filter != nil {
		if out.Filter, err = r.expr(p.Filter, &scope{attr: attr, def: def}); err != nil {
			return Path{}, err
		}
	}
	if p.Sub != "" {
		sd := def.Sub(p.Sub)
		if sd == nil {
			return Path{}, r.unknownSub(attr.String(), p.Sub, def)
		}
		out.Sub = sd.Name
	}
	return out, nil
}

// resolver holds what one call of Resolve or ResolvePath needs.
type resolver struct {
	rt       *scim.ResourceType
	noun     string
	scimType scim.ErrorType
}

// scope is the value path whose filter is being resolved: the names inside
// it are sub-attributes of def.
type scope struct {
	attr AttrPath
	def  *scim.Attribute
}

func (r *resolver) fail(format string, args ...any) error {
	return scim.BadRequest(r.scimType, r.noun+": "+format, args...)
}

func (r *resolver) expr(e Expr, in *scope) (Expr, error) {
	switch e := e.(type) {
	case *And:
		left, right, err := r.pair(e.Left, e.Right, in)
		if err != nil {
			return nil, err
		}
		return &And{Left: left, Right: right}, nil
	case *Or:
		left, right, err := r.pair(e.Left, e.Right, in)
		if err != nil {
			return nil, err
		}
		return &Or{Left: left, Right: right}, nil
	case *Not:
		x, err := r.expr(e.X, in)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case *Present:
		attr, _, err := r.leaf(e.Attr, in, false)
		if err != nil {
			return nil, err
		}
		return &Present{Attr: attr}, nil
	case *Compare:
		attr, def, err := r.leaf(e.Attr, in, true)
		if err != nil {
			return nil, err
		}
		v, err := r.value(attr, def, e.Op, e.Value)
		if err != nil {
			return nil, err
		}
		return &Compare{Attr: attr, Op: e.Op, Value: v}, nil
	case *ValuePath:
		return r.valuePath(e, in)
	}
	return nil, r.fail("unsupported expression %T", e)
}

func (r *resolver) pair(a, b Expr, in *scope) (Expr, Expr, error) {
	left, err := r.expr(a, in)
	if err != nil {
		return nil, nil, err
	}
	right, err := r.expr(b, in)
	if err != nil {
		return nil, nil, err
	}
	return left, right, nil
}

func (r *resolver) valuePath(e *ValuePath, in *scope) (Expr, error) {
	if in != nil {
		return nil, r.fail("value filters cannot nest: %q is inside %s[...]",
			e.Attr.String(), in.attr.String())
	}
	attr, def, err := r.attr(e.Attr, true)
	if err != nil {
		return nil, err
	}
	if attr.Sub != "" || def.Type != scim.Complex {
		return nil, r.fail("%q is not a complex attribute; a [value filter] applies to "+
			"attributes such as \"emails\"", attr.String())
	}
	f, err := r.expr(e.Filter, &scope{attr: attr, def: def})
	if err != nil {
		return nil, err
	}
	return &ValuePath{Attr: attr, Filter: f}, nil
}

// leaf resolves the attribute of a comparison or presence test. With
// compare set, a complex attribute stands for its "value" sub-attribute.
func (r *resolver) leaf(a AttrPath, in *scope, compare bool) (AttrPath, *scim.Attribute, error) {
	var (
		attr AttrPath
		def  *scim.Attribute
		err  error
	)
	if in != nil {
		attr, def, err = r.sub(a, in)
	} else {
		attr, def, err = r.attr(a, true)
	}
	if err != nil || !compare || def.Type != scim.Complex {
		return attr, def, err
	}

	if v := def.Sub("value"); v != nil && attr.Sub == "" {
		attr.Sub = v.Name
		return attr, v, nil
	}
	example := attr.String() + ".value"
	if len(def.SubAttributes) > 0 {
		example = attr.String() + "." + def.SubAttributes[0].Name
	}
	return AttrPath{}, nil, r.fail("%q is complex; compare one of its sub-attributes, "+
		"such as %q, or test it with pr", attr.String(), example)
}

// sub resolves an attribute path inside the value path in.
func (r *resolver) sub(a AttrPath, in *scope) (AttrPath, *scim.Attribute, error) {
	if a.URN != "" || a.Sub != "" {
		return AttrPath{}, nil, r.fail("inside %s[...] name a sub-attribute of %q, not %q",
			in.attr.String(), in.attr.String(), a.String())
	}
	sd := in.def.Sub(a.Name)
	if sd == nil {
		return AttrPath{}, nil, r.unknownSub(in.attr.String(), a.Name, in.def)
	}
	return AttrPath{Name: sd.Name}, sd, nil
}

// attr resolves a top-level attribute path to its canonical spelling and
// the definition of the attribute (or sub-attribute) it names. Aliases
// apply when alias is set.
func (r *resolver) attr(a AttrPath, alias bool) (AttrPath, *scim.Attribute, error) {
	urn := ""
	if a.URN != "" {
		s := r.rt.SchemaFor(a.URN)
		if s == nil {
			return AttrPath{}, nil, r.unknownSchema(a)
		}
		if s != r.rt.Schema {
			urn = s.ID
		}
	}

	// Okta sends "email" when its unique identifier field is the email.
	if alias && urn == "" && a.Sub == "" && strings.EqualFold(a.Name, "email") &&
		r.rt.Lookup(a.URN, a.Name, "") == nil && r.rt.Lookup("", "emails", "value") != nil {
		a = AttrPath{Name: "emails", Sub: "value"}
	}

	def := r.rt.Lookup(a.URN, a.Name, "")
	if def == nil && a.URN == "" {
		urn, def = r.inExtension(a.Name)
	}
	if def == nil {
		return AttrPath{}, nil, r.unknown(a)
	}
	out := AttrPath{URN: urn, Name: def.Name}
	if a.Sub == "" {
		return out, def, nil
	}

	if def.Type != scim.Complex {
		return AttrPath{}, nil, r.fail("%q has no sub-attributes; remove %q",
			out.String(), "."+a.Sub)
	}
	sd := def.Sub(a.Sub)
	if sd == nil {
		return AttrPath{}, nil, r.unknownSub(out.String(), a.Sub, def)
	}
	out.Sub = sd.Name
	return out, sd, nil
}

// inExtension finds an unqualified name in the extensions of the resource
// type, when exactly one of them defines it.
func (r *resolver) inExtension(name string) (string, *scim.Attribute) {
	var urn string
	var def *scim.Attribute
	for _, ext := range r.rt.Extensions {
		if d := ext.Schema.Attribute(name); d != nil {
			if def != nil {
				return "", nil
			}
			urn, def = ext.Schema.ID, d
		}
	}
	return urn, def
}

func (r *resolver) unknownSchema(a AttrPath) error {
	if s := r.rt.SchemaFor(a.URN + ":" + a.Name); s != nil && len(s.Attributes) > 0 {
		return r.fail("%q is a schema, not an attribute; name one of its attributes, "+
			"as in %q", s.ID, s.ID+":"+s.Attributes[0].Name)
	}
	ids := []string{strconv.Quote(r.rt.Schema.ID)}
	for _, ext := range r.rt.Extensions {
		ids = append(ids, strconv.Quote(ext.Schema.ID))
	}
	return r.fail("unknown schema %q; %s resources use %s", a.URN, r.rt.Name,
		strings.Join(ids, ", "))
}

func (r *resolver) unknown(a AttrPath) error {
	if a.URN != "" {
		return r.fail("unknown attribute %q in schema %q", a.Name, a.URN)
	}
	return r.fail("unknown attribute %q; %s resources have no such attribute",
		a.Name, r.rt.Name)
}

func (r *resolver) unknownSub(parent, name string, def *scim.Attribute) error {
	if def.Type != scim.Complex {
		return r.fail("%q has no sub-attributes; remove %q", parent, "."+name)
	}
	names := make([]string, len(def.SubAttributes))
	for i, s := range def.SubAttributes {
		names[i] = s.Name
	}
	return r.fail("unknown sub-attribute %q of %q; it has %s",
		name, parent, strings.Join(names, ", "))
}

// value checks v against the type of the attribute def and returns the
// value to store in the resolved tree.
func (r *resolver) value(attr AttrPath, def *scim.Attribute, op Op, v any) (any, error) {
	name := attr.String()
	ordered := op == Gt || op == Ge || op == Lt || op == Le
	if ordered && (def.Type == scim.Boolean || def.Type == scim.Binary) {
		return nil, r.fail("%q is %s; %s does not apply to it, only eq, ne and pr",
			name, article(def.Type), op)
	}
	if v == nil {
		return nil, nil
	}

	switch def.Type {
	case scim.Boolean:
		if s, ok := v.(string); ok && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
			return strings.EqualFold(s, "true"), nil
		}
		if _, ok := v.(bool); !ok {
			return nil, r.wrongType(name, def.Type, "true or false", v)
		}
	case scim.Integer, scim.Decimal:
		if _, ok := v.(json.Number); !ok {
			return nil, r.wrongType(name, def.Type, "a number such as 42", v)
		}
	case scim.DateTime:
		s, ok := v.(string)
		if !ok {
			return nil, r.wrongType(name, def.Type, `an RFC 3339 timestamp such as `+
				`"2011-05-13T04:42:34Z"`, v)
		}
		if _, ok := parseTime(s); !ok && op != Co && op != Sw && op != Ew {
			return nil, r.wrongType(name, def.Type, `an RFC 3339 timestamp such as `+
				`"2011-05-13T04:42:34Z"`, v)
		}
	default:
		if _, ok := v.(string); !ok {
			return nil, r.wrongType(name, def.Type, "a quoted string", v)
		}
	}
	return v, nil
}

func (r *resolver) wrongType(name string, t scim.Type, want string, v any) error {
	var b strings.Builder
	writeValue(&b, v)
	return r.fail("%q is %s; compare it with %s, not %s", name, article(t), want,
		scim.Clip(b.String()))
}

// article names a type with its indefinite article: "a string", "an integer".
func article(t scim.Type) string {
	switch t {
	case scim.Integer:
		return "an integer"
	case scim.DateTime:
		return "a dateTime"
	}
	return fmt.Sprintf("a %s", t)
}

// parseTime reads an RFC 3339 timestamp with any offset and fraction.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, strings.ToUpper(s))
	return t, err == nil
}
