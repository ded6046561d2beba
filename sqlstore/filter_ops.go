package sqlstore

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// comparison maps the ordering operators to SQL.
var comparison = map[filter.Op]string{
	filter.Eq: "=", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<=",
}

// compareScalar compares a lookup column or a JSON text value.
func (c *compiler) compareScalar(s scalar, name string, op filter.Op, v any) (string, error) {
	switch s.typ {
	case scim.Boolean:
		b, err := boolValue(name, op, v)
		if err != nil {
			return "", err
		}
		return negateIf(op == filter.Ne, s.expr+" = "+c.bind(b)), nil
	case scim.DateTime:
		return c.compareTyped(name, op, v, s.expr, func(name string, v any) (string, error) {
			t, err := timeValue(name, v)
			if err != nil {
				return "", err
			}
			return c.bind(c.ts(t)), nil
		})
	}

	str, ok := v.(string)
	if !ok {
		return "", invalid("%s is a string: put the value in double quotes", name)
	}
	lhs := s.expr
	operand := func(val string) string { return c.bind(val) }
	switch {
	case s.folded:
		operand = func(val string) string { return c.bind(fold(val)) }
	case !s.exact:
		lhs = c.foldExpr(lhs)
		operand = c.foldArg
	}
	switch op {
	case filter.Eq:
		return lhs + " = " + operand(str), nil
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		// Ordered as filter.Match orders: by code point, which is byte
		// order on SQLite and the "C" collation on PostgreSQL.
		if c.d == Postgres {
			lhs += ` COLLATE "C"`
		}
		return lhs + " " + comparison[op] + " " + operand(str), nil
	case filter.Ne:
		return negateIf(true, lhs+" = "+operand(str)), nil
	case filter.Co, filter.Sw, filter.Ew:
		return lhs + " LIKE " + operand(likePattern(op, str)) + ` ESCAPE '\'`, nil
	}
	return "", invalid("%s: unknown operator %q", name, op)
}

// compareTyped compares a number or a time: lhs is the SQL value, and
// operand binds the client's value.
func (c *compiler) compareTyped(name string, op filter.Op, v any, lhs string,
	operand func(name string, v any) (string, error)) (string, error) {
	if op == filter.Co || op == filter.Sw || op == filter.Ew {
		return "", invalid("%s %s: co, sw and ew apply to strings only", name, op)
	}
	if _, ok := comparison[op]; !ok && op != filter.Ne {
		return "", invalid("%s: unknown operator %q", name, op)
	}
	rhs, err := operand(name, v)
	if err != nil {
		return "", err
	}
	if op == filter.Ne {
		return negateIf(true, lhs+" = "+rhs), nil
	}
	return lhs + " " + comparison[op] + " " + rhs, nil
}

// numberOperand binds a number: as a float or integer on SQLite, whose JSON
// numbers are either, and as exact text cast to numeric on PostgreSQL.
func (c *compiler) numberOperand(name string, v any) (string, error) {
	var n json.Number
	switch v := v.(type) {
	case json.Number:
		n = v
	case string:
		n = json.Number(strings.TrimSpace(v))
	}
	f, err := n.Float64()
	if n == "" || err != nil {
		return "", invalid("%s is a number: send it without quotes, as in %s eq 42", name, name)
	}
	if c.d == Postgres {
		return "CAST(" + c.bind(n.String()) + " AS numeric)", nil
	}
	if i, err := n.Int64(); err == nil {
		return c.bind(i), nil
	}
	return c.bind(f), nil
}

// timeOperand binds an instant to compare with a dateTime in the document.
func (c *compiler) timeOperand(name string, v any) (string, error) {
	t, err := timeValue(name, v)
	if err != nil {
		return "", err
	}
	if c.d == Postgres {
		return "CAST(" + c.bind(t) + " AS timestamptz)", nil
	}
	return "julianday(" + c.bind(t.UTC().Format(timeLayout)) + ")", nil
}

// ts returns a time as the store keeps it, to bind.
func (c *compiler) ts(t time.Time) any { return timeValueFor(c.d, t) }

func (c *compiler) foldExpr(x string) string {
	if c.d == SQLite {
		return "scimd_fold(" + x + ")"
	}
	return "lower(" + x + ")"
}

// foldArg binds v to compare with a foldExpr: folded in Go for SQLite's
// scimd_fold, by lower() on PostgreSQL, so each engine folds both sides
// alike.
// TODO(fold): PostgreSQL's lower() follows the database's ctype, which may
// fold a few non-ASCII letters differently from strings.ToLower, the fold of
// the lookup columns and of filter.Match; a SQL function doing Go's folding
// would need an extension, which scimd does not require.
func (c *compiler) foldArg(v string) string {
	if c.d == SQLite {
		return c.bind(fold(v))
	}
	return "lower(CAST(" + c.bind(v) + " AS text))"
}

func negateIf(neg bool, cond string) string {
	if !neg {
		return cond
	}
	return "NOT COALESCE(" + cond + ", FALSE)"
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likePattern returns the LIKE pattern for co, sw or ew with v taken
// literally.
func likePattern(op filter.Op, v string) string {
	v = likeEscaper.Replace(v)
	switch op {
	case filter.Sw:
		return v + "%"
	case filter.Ew:
		return "%" + v
	}
	return "%" + v + "%"
}

func boolValue(name string, op filter.Op, v any) (bool, error) {
	if op != filter.Eq && op != filter.Ne {
		return false, invalid("%s is a boolean: only eq, ne and pr apply", name)
	}
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		// Some clients quote booleans; the meaning is plain.
		if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil &&
			(strings.EqualFold(v, "true") || strings.EqualFold(v, "false")) {
			return b, nil
		}
	}
	return false, invalid("%s is a boolean: compare it with true or false", name)
}

func timeValue(name string, v any) (time.Time, error) {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, invalid(
			"%s is a dateTime: send a quoted RFC 3339 time, as in \"2024-01-31T12:00:00Z\"",
			name)
	}
	return t, nil
}

// valuePath compiles attr[filter]: one value of a multi-valued complex
// attribute (or the value of a single complex one) meets the filter.
func (c *compiler) valuePath(vp *filter.ValuePath) (string, error) {
	if c.scope != nil {
		return "", invalid("a [filter] cannot hold another [filter]")
	}
	a, err := c.resolve(vp.Attr)
	if err != nil {
		return "", err
	}
	if a.sub != nil {
		return "", invalid("%s[...]: brackets follow a complex attribute, not a sub-attribute",
			a.name)
	}
	if c.special(a) == "membership" {
		return c.membership(a.top, vp.Filter)
	}
	if a.top.Type != scim.Complex {
		return "", invalid("%s is not complex: [...] filters the values of a complex "+
			"attribute such as emails", a.name)
	}
	keys := a.keys()
	if err := checkKeys(keys); err != nil {
		return "", invalid("%v", err)
	}
	ref := jsonRef{base: "r.doc", keys: keys}
	inner := func(r jsonRef) (string, error) {
		c.scope = &scope{attr: a.top, ref: r}
		defer func() { c.scope = nil }()
		return c.expr(vp.Filter)
	}
	if !a.top.MultiValued {
		return inner(ref)
	}
	return c.anyElement(ref, true, inner)
}

// membership compiles a condition on a user's groups or a group's members
// into a subquery on the membership table; e names value, display and type
// of one membership.
func (c *compiler) membership(top *scim.Attribute, e filter.Expr) (string, error) {
	var head string
	if c.kind == directory.KindGroup {
		head = "r.id IN (SELECT m.group_id FROM memberships m WHERE m.account_id = " +
			c.bind(c.account) + " AND "
	} else {
		head = "r.id IN (SELECT m.member_id FROM memberships m WHERE m.account_id = " +
			c.bind(c.account) + " AND m.member_type = 'User' AND "
	}
	cond, err := c.memberCond(top, e)
	if err != nil {
		return "", err
	}
	return head + cond + ")", nil
}

func (c *compiler) memberCond(top *scim.Attribute, e filter.Expr) (string, error) {
	switch e := e.(type) {
	case *filter.And:
		return c.memberPair(top, e.Left, " AND ", e.Right)
	case *filter.Or:
		return c.memberPair(top, e.Left, " OR ", e.Right)
	case *filter.Not:
		x, err := c.memberCond(top, e.X)
		return negateIf(true, x), err
	case *filter.Present:
		s, err := c.memberField(top, e.Attr)
		if err != nil {
			return "", err
		}
		return "(" + s.expr + " IS NOT NULL AND " + s.expr + " <> '')", nil
	case *filter.Compare:
		s, err := c.memberField(top, e.Attr)
		if err != nil {
			return "", err
		}
		name := top.Name + "." + e.Attr.Name
		if e.Value == nil {
			present := "(" + s.expr + " IS NOT NULL AND " + s.expr + " <> '')"
			return negateIf(e.Op == filter.Eq, present), nil
		}
		return c.compareScalar(s, name, e.Op, e.Value)
	}
	return "", invalid("a [filter] on %s holds comparisons of value, display and type",
		top.Name)
}

func (c *compiler) memberPair(top *scim.Attribute, l filter.Expr, op string,
	r filter.Expr) (string, error) {
	ls, err := c.memberCond(top, l)
	if err != nil {
		return "", err
	}
	rs, err := c.memberCond(top, r)
	if err != nil {
		return "", err
	}
	return "(" + ls + op + rs + ")", nil
}

// memberField returns the SQL for a sub-attribute of one membership, m.
func (c *compiler) memberField(top *scim.Attribute, p filter.AttrPath) (scalar, error) {
	sub := top.Sub(p.Name)
	if p.URN != "" || p.Sub != "" || sub == nil {
		return scalar{}, invalid("%s has no sub-attribute %q", top.Name, p.Name)
	}
	group := c.kind == directory.KindGroup
	switch sub.Name {
	case "value":
		// Values are ids, which scimd issues and compares exactly.
		if group {
			return scalar{expr: "m.member_id", typ: scim.String, exact: true}, nil
		}
		return scalar{expr: "m.group_id", typ: scim.String, exact: true}, nil
	case "type":
		if group {
			return scalar{expr: "m.member_type", typ: scim.String}, nil
		}
		return scalar{expr: "'direct'", typ: scim.String}, nil
	case "display":
		if group {
			return scalar{expr: memberDisplay, typ: scim.String}, nil
		}
		return scalar{expr: `(SELECT g.display_name FROM groups g
			WHERE g.account_id = m.account_id AND g.id = m.group_id)`, typ: scim.String}, nil
	}
	return scalar{}, invalid("%s.%s cannot be filtered", top.Name, sub.Name)
}
