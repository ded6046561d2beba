package sqlstore

import (
	"errors"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// tiebreak ends every ORDER BY, so that resources with equal sort values
// keep one order from page to page.
var tiebreak = []string{"r.created", "r.id"}

// compileSort returns the ORDER BY list for sortBy (RFC 7644 §3.4.2.3):
// case-insensitive strings compare folded, a multi-valued attribute sorts
// by its primary value or else its first, and resources without a value
// come last when ascending and first when descending. A nil by orders by
// creation. An attribute that cannot be sorted on yields a *scim.Error, 400
// invalidValue.
func compileSort(d Dialect, kind directory.Kind, by *filter.AttrPath, desc bool) (string, error) {
	return compileSortFor(d, kind, directory.ResourceType(kind), by, desc, false)
}

// compileSortFor is compileSort for a resource type. With unindexed set,
// SQLite is kept from reading an index in sort order: a filter that
// selects a few rows by an index of its own must not lose that index to
// an ordered scan of the whole account, which SQLite prefers when it has no
// statistics.
func compileSortFor(d Dialect, kind directory.Kind, rt *scim.ResourceType,
	by *filter.AttrPath, desc, unindexed bool) (string, error) {
	var terms []string
	if by != nil {
		c := &compiler{d: d, kind: kind, rt: rt}
		expr, err := c.sortExpr(*by)
		if err != nil {
			if e, ok := errors.AsType[*scim.Error](err); ok {
				return "", scim.BadRequest(scim.ErrInvalidValue, "sortBy: %s", e.Detail)
			}
			return "", err
		}
		dir := ""
		if desc {
			dir = " DESC"
		}
		terms = append(terms, "("+expr+") IS NULL"+dir, expr+dir)
	}
	terms = append(terms, tiebreak...)
	if unindexed && d == SQLite {
		// SQLite's unary + leaves a value as it is and hides the column
		// from the planner's choice of index.
		for i, t := range terms {
			terms[i] = "+" + t
		}
	}
	return strings.Join(terms, ", "), nil
}

// selective reports whether e, resolved, is (or is AND-ed with) an equality
// on an attribute with a lookup index of its own: the lookups identity
// providers send, which select at most a few rows.
func selective(kind directory.Kind, e filter.Expr) bool {
	switch e := e.(type) {
	case *filter.And:
		return selective(kind, e.Left) || selective(kind, e.Right)
	case *filter.Compare:
		if e.Op != filter.Eq || e.Value == nil || e.Attr.URN != "" {
			return false
		}
		switch e.Attr.Name + "." + e.Attr.Sub {
		case "id.", "externalId.":
			return true
		case "userName.", "emails.value", "emails.":
			return kind == directory.KindUser
		case "displayName.":
			return kind == directory.KindGroup
		}
	}
	return false
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
