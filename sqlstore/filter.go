package sqlstore

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// compiler turns a resolved filter (RFC 7644 §3.4.2.2) into a SQL condition
// on the resource table, aliased r, with ? placeholders. Values are always
// bound; attribute names come from scimd's schemas. Lookup columns serve
// the attributes identity providers search by, through their indexes;
// every other attribute is read from the JSON document.
//
// The semantics are filter.Match's. Comparisons are two-valued: NOT wraps
// its operand in COALESCE(x, FALSE), so that an absent attribute fails "eq"
// and passes "not eq" and "ne" alike. On a multi-valued attribute an
// operator matches when one value matches; "ne" is the negation of "eq".
type compiler struct {
	d       Dialect
	kind    directory.Kind
	rt      *scim.ResourceType
	account string
	args    []any
	aliases int

	// scope is the complex attribute whose sub-attributes the current
	// [valFilter] names, and where its value lies; nil outside brackets.
	scope *scope
}

type scope struct {
	attr *scim.Attribute
	ref  jsonRef
}

// compileFilter compiles e for the resources of kind in an account. A nil e
// yields "". A filter the store cannot apply yields a *scim.Error, 400
// invalidFilter.
func compileFilter(d Dialect, kind directory.Kind, accountID string,
	e filter.Expr) (string, []any, error) {
	return compileFilterFor(d, kind, directory.ResourceType(kind), accountID, e)
}

func compileFilterFor(d Dialect, kind directory.Kind, rt *scim.ResourceType,
	accountID string, e filter.Expr) (string, []any, error) {
	if e == nil {
		return "", nil, nil
	}
	c := &compiler{d: d, kind: kind, rt: rt, account: accountID}
	where, err := c.expr(e)
	if err != nil {
		return "", nil, err
	}
	return where, c.args, nil
}

func invalid(format string, args ...any) error {
	return scim.BadRequest(scim.ErrInvalidFilter, format, args...)
}

// bind records a value and returns its placeholder. Callers bind in the
// order the placeholders appear in the text they build.
func (c *compiler) bind(v any) string {
	c.args = append(c.args, v)
	return "?"
}

func (c *compiler) expr(e filter.Expr) (string, error) {
	switch e := e.(type) {
	case *filter.And:
		return c.pair(e.Left, " AND ", e.Right)
	case *filter.Or:
		return c.pair(e.Left, " OR ", e.Right)
	case *filter.Not:
		x, err := c.expr(e.X)
		if err != nil {
			return "", err
		}
		return "NOT COALESCE(" + x + ", FALSE)", nil
	case *filter.Present:
		return c.present(e.Attr)
	case *filter.Compare:
		return c.compare(e.Attr, e.Op, e.Value)
	case *filter.ValuePath:
		return c.valuePath(e)
	case nil:
		return "", invalid("the filter is empty")
	}
	return "", fmt.Errorf("compile filter: unknown node %T", e)
}

func (c *compiler) pair(l filter.Expr, op string, r filter.Expr) (string, error) {
	ls, err := c.expr(l)
	if err != nil {
		return "", err
	}
	rs, err := c.expr(r)
	if err != nil {
		return "", err
	}
	return "(" + ls + op + rs + ")", nil
}

func (c *compiler) present(p filter.AttrPath) (string, error) {
	if c.scope != nil {
		sub, err := c.scoped(p)
		if err != nil {
			return "", err
		}
		return c.jsonPresent(c.scope.ref.with(sub.Name)), nil
	}
	a, err := c.resolve(p)
	if err != nil {
		return "", err
	}
	switch c.special(a) {
	case "emails":
		return `EXISTS (SELECT 1 FROM user_emails ue
			WHERE ue.account_id = r.account_id AND ue.user_id = r.id)`, nil
	case "membership":
		if c.kind == directory.KindGroup {
			return `EXISTS (SELECT 1 FROM memberships m
				WHERE m.account_id = r.account_id AND m.group_id = r.id)`, nil
		}
		return `EXISTS (SELECT 1 FROM memberships m
			WHERE m.account_id = r.account_id AND m.member_id = r.id
				AND m.member_type = 'User')`, nil
	case "column":
		col, _ := c.column(a)
		if col.typ == scim.String {
			return "(" + col.expr + " IS NOT NULL AND " + col.expr + " <> '')", nil
		}
		return "(" + col.expr + " IS NOT NULL)", nil
	}
	if (a.top.Name == "meta" || a.top.Name == "schemas") && a.urn == "" {
		// meta, meta.location and schemas are always there.
		return "TRUE", nil
	}
	keys := a.keys()
	if err := checkKeys(keys); err != nil {
		return "", invalid("%v", err)
	}
	if a.top.MultiValued && a.sub != nil {
		array := jsonRef{base: "r.doc", keys: keys[:len(keys)-1]}
		return c.anyElement(array, true, func(e jsonRef) (string, error) {
			return c.jsonPresent(e.with(a.sub.Name)), nil
		})
	}
	return c.jsonPresent(jsonRef{base: "r.doc", keys: keys}), nil
}

func (r jsonRef) withAll(keys []string) jsonRef {
	for _, k := range keys {
		r = r.with(k)
	}
	return r
}

// anyElement is true when cond holds for one element of the array at r.
func (c *compiler) anyElement(r jsonRef, objects bool,
	cond func(elem jsonRef) (string, error)) (string, error) {
	from, where, elem := c.elements(r, objects)
	s, err := cond(elem)
	if err != nil {
		return "", err
	}
	return "EXISTS (SELECT 1 FROM " + from + " WHERE " + where + " AND " + s + ")", nil
}

// scoped resolves an attribute named inside [brackets] as a sub-attribute
// of the scope's attribute.
func (c *compiler) scoped(p filter.AttrPath) (*scim.Attribute, error) {
	if p.URN != "" || p.Sub != "" {
		return nil, invalid("inside %s[...] name sub-attributes of %s alone, not %q",
			c.scope.attr.Name, c.scope.attr.Name, p.Name+"."+p.Sub)
	}
	sub := c.scope.attr.Sub(p.Name)
	if sub == nil {
		return nil, invalid("%s has no sub-attribute %q", c.scope.attr.Name, p.Name)
	}
	if err := checkKeys([]string{sub.Name}); err != nil {
		return nil, invalid("%v", err)
	}
	return sub, nil
}

func (c *compiler) compare(p filter.AttrPath, op filter.Op, v any) (string, error) {
	// "ne" is the negation of "eq", as filter.Match has it: an absent
	// attribute passes, and a multi-valued one passes when no value equals.
	if op == filter.Ne && v != nil {
		eq, err := c.compare(p, filter.Eq, v)
		return negateIf(true, eq), err
	}
	if c.scope != nil {
		sub, err := c.scoped(p)
		if err != nil {
			return "", err
		}
		return c.compareJSON(c.scope.ref.with(sub.Name), sub, p.Name, op, v)
	}
	a, err := c.resolve(p)
	if err != nil {
		return "", err
	}
	if v == nil {
		return c.compareNull(p, a, op)
	}

	switch c.special(a) {
	case "emails":
		// The account is bound rather than correlated, so that the
		// subquery runs once, from the user_emails index.
		head := "r.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.account_id = " +
			c.bind(c.account) + " AND "
		s := scalar{expr: "ue.value_fold", typ: scim.String, folded: true}
		cond, err := c.compareScalar(s, a.name, op, v)
		if err != nil {
			return "", err
		}
		return head + cond + ")", nil
	case "membership":
		sub := "value"
		if a.sub != nil {
			sub = a.sub.Name
		}
		cmp := &filter.Compare{Attr: filter.AttrPath{Name: sub}, Op: op, Value: v}
		return c.membership(a.top, cmp)
	case "column":
		col, _ := c.column(a)
		return c.compareScalar(col, a.name, op, v)
	}
	if a.top.Name == "meta" && a.urn == "" {
		return "", invalid("%s cannot be compared: it depends on the address the "+
			"server is reached at", a.name)
	}
	if a.top.Name == "schemas" && a.urn == "" {
		return c.compareSchemas(op, v)
	}
	return c.compareDoc(a, op, v)
}

// compareNull reads "eq null" as "not present" and "ne null" as "present".
func (c *compiler) compareNull(p filter.AttrPath, a attr, op filter.Op) (string, error) {
	switch op {
	case filter.Eq:
		s, err := c.present(p)
		return "NOT COALESCE(" + s + ", FALSE)", err
	case filter.Ne:
		return c.present(p)
	}
	return "", invalid("%s %s null: only eq and ne compare with null", a.name, op)
}

// compareDoc compares an attribute kept only in the JSON document.
func (c *compiler) compareDoc(a attr, op filter.Op, v any) (string, error) {
	keys := a.keys()
	if err := checkKeys(keys); err != nil {
		return "", invalid("%v", err)
	}
	doc := jsonRef{base: "r.doc"}
	top := doc.withAll(keys[:len(keys)-1])
	if a.sub == nil {
		top = doc.withAll(keys)
	}

	switch {
	case a.top.MultiValued && a.top.Type == scim.Complex:
		sub := a.sub
		if sub == nil {
			// RFC 7644 §3.4.2.2: a complex multi-valued attribute compares
			// by its value sub-attribute.
			if sub = a.top.Sub("value"); sub == nil {
				return "", invalid("%s is complex: name a sub-attribute, as in %s.value",
					a.name, a.name)
			}
		}
		return c.anyElement(top, true, func(e jsonRef) (string, error) {
			return c.compareJSON(e.with(sub.Name), sub, a.name, op, v)
		})
	case a.top.MultiValued:
		return c.anyElement(top, false, func(e jsonRef) (string, error) {
			return c.compareJSON(e, a.top, a.name, op, v)
		})
	case a.def().Type == scim.Complex:
		return "", invalid("%s is complex: compare one of its sub-attributes, as in %s.%s",
			a.name, a.name, a.def().SubAttributes[0].Name)
	}
	return c.compareJSON(jsonRef{base: "r.doc", keys: keys}, a.def(), a.name, op, v)
}

// compareJSON compares the JSON value at r, an attribute defined by def.
func (c *compiler) compareJSON(r jsonRef, def *scim.Attribute, name string, op filter.Op,
	v any) (string, error) {
	if v == nil {
		if op == filter.Eq {
			return "NOT COALESCE(" + c.jsonPresent(r) + ", FALSE)", nil
		}
		if op == filter.Ne {
			return c.jsonPresent(r), nil
		}
		return "", invalid("%s %s null: only eq and ne compare with null", name, op)
	}
	switch def.Type {
	case scim.Boolean:
		b, err := boolValue(name, op, v)
		if err != nil {
			return "", err
		}
		return negateIf(op == filter.Ne, c.jsonBoolEq(r, b)), nil
	case scim.Integer, scim.Decimal:
		return c.compareTyped(name, op, v, c.jsonNumber(r), c.numberOperand)
	case scim.DateTime:
		if op != filter.Co && op != filter.Sw && op != filter.Ew {
			return c.compareTyped(name, op, v, c.jsonTime(r), c.timeOperand)
		}
		// co, sw and ew read a dateTime as the text it is stored as.
	case scim.Complex:
		return "", invalid("%s is complex: compare one of its sub-attributes", name)
	}
	s := scalar{expr: c.jsonText(r), typ: scim.String, exact: def.CaseExact}
	return c.compareScalar(s, name, op, v)
}

// compareSchemas compiles a comparison of "schemas", which is not stored:
// a resource lists its core schema and every extension its document holds.
// Each URN is compared in Go, by filter.Match itself, so only the test of
// which extensions are present is left to SQL.
func (c *compiler) compareSchemas(op filter.Op, v any) (string, error) {
	cmp := &filter.Compare{Attr: filter.AttrPath{Name: "schemas"}, Op: op, Value: v}
	matches := func(urn string) bool {
		return filter.Match(cmp, c.rt, map[string]any{"schemas": []any{urn}})
	}
	if matches(c.rt.Schema.ID) {
		return "TRUE", nil
	}
	var present []string
	for _, ext := range c.rt.Extensions {
		if matches(ext.Schema.ID) {
			present = append(present, c.jsonPresent(jsonRef{base: "r.doc",
				keys: []string{ext.Schema.ID}}))
		}
	}
	if len(present) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(present, " OR ") + ")", nil
}
