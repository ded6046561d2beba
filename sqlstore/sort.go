package sqlstore

import (
	"errors"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// tiebreak ends every ORDER BY, so that resources with equal sort values
// keep one order from page to page.
const tiebreak = "r.created, r.id"

// compileSort returns the ORDER BY list for sortBy (RFC 7644 §3.4.2.3):
// case-insensitive strings compare folded, a multi-valued attribute sorts
// by its primary value or else its first, and resources without a value
// come last when ascending and first when descending. A nil by orders by
// creation. An attribute that cannot be sorted on yields a *scim.Error, 400
// invalidValue.
func compileSort(d Dialect, kind directory.Kind, by *filter.AttrPath, desc bool) (string, error) {
	return compileSortFor(d, kind, resourceType(kind), by, desc)
}

func compileSortFor(d Dialect, kind directory.Kind, rt *scim.ResourceType,
	by *filter.AttrPath, desc bool) (string, error) {
	if by == nil {
		return tiebreak, nil
	}
	c := &compiler{d: d, kind: kind, rt: rt}
	expr, err := c.sortExpr(*by)
	if err != nil {
		if e, ok := errors.AsType[*scim.Error](err); ok {
			return "", scim.BadRequest(scim.ErrInvalidValue, "sortBy: %s", e.Detail)
		}
		return "", err
	}
	if desc {
		return "(" + expr + ") IS NULL DESC, " + expr + " DESC, " + tiebreak, nil
	}
	return "(" + expr + ") IS NULL, " + expr + ", " + tiebreak, nil
}

func (c *compiler) sortExpr(p filter.AttrPath) (string, error) {
	a, err := c.resolve(p)
	if err != nil {
		return "", err
	}
	switch c.special(a) {
	case "emails":
		return "r.email_fold", nil // the primary address, else the first
	case "membership":
		return "", invalid("%s cannot be sorted on; sort by a single-valued attribute "+
			"such as userName or displayName", a.name)
	case "column":
		col, _ := c.column(a)
		switch {
		case col.typ != scim.String:
			return col.expr, nil
		case !col.exact && !col.folded:
			return "NULLIF(" + c.foldExpr(col.expr) + ", '')", nil
		}
		return "NULLIF(" + col.expr + ", '')", nil
	}

	if a.top.Name == "meta" && a.urn == "" {
		return "", invalid("%s cannot be sorted on", a.name)
	}
	keys := a.keys()
	if err := checkKeys(keys); err != nil {
		return "", invalid("%v", err)
	}
	switch {
	case a.top.MultiValued && a.top.Type == scim.Complex:
		sub, array := a.sub, jsonRef{base: "r.doc", keys: keys}
		if sub != nil {
			array.keys = keys[:len(keys)-1]
		} else if sub = a.top.Sub("value"); sub == nil {
			return "", invalid("%s is complex: name a sub-attribute, as in %s.value",
				a.name, a.name)
		}
		return c.firstElement(array, true, func(e jsonRef) string {
			return c.sortValue(e.with(sub.Name), sub)
		}), nil
	case a.top.MultiValued:
		return c.firstElement(jsonRef{base: "r.doc", keys: keys}, false, func(e jsonRef) string {
			return c.sortValue(e, a.top)
		}), nil
	case a.def().Type == scim.Complex:
		return "", invalid("%s is complex: sort by one of its sub-attributes", a.name)
	}
	return c.sortValue(jsonRef{base: "r.doc", keys: keys}, a.def()), nil
}

// sortValue is the value at r as it sorts: typed, and folded when the
// attribute is not caseExact; NULL for no value.
func (c *compiler) sortValue(r jsonRef, def *scim.Attribute) string {
	switch def.Type {
	case scim.Boolean:
		return c.jsonBool(r)
	case scim.Integer, scim.Decimal:
		return c.jsonNumber(r)
	case scim.DateTime:
		return c.jsonTime(r)
	}
	t := c.jsonText(r)
	if !def.CaseExact {
		t = c.foldExpr(t)
	}
	return "NULLIF(" + t + ", '')"
}
