package sqlstore

import (
	"fmt"
	"regexp"
	"strings"
)

// jsonRef is a place in a resource's JSON document: keys followed from a
// base, which is the document column or the current element of an array
// being searched.
type jsonRef struct {
	base string   // r.doc, or an element alias such as e1
	elem bool     // base is an array element alias
	keys []string // keys from base; none for the element itself
}

func (r jsonRef) with(key string) jsonRef {
	return jsonRef{base: r.base, elem: r.elem, keys: append(append([]string(nil), r.keys...), key)}
}

// safeKey matches the attribute and schema names that may appear in a JSON
// path: they come from scimd's schemas, never from a request, and are
// checked all the same before they are written into SQL text.
var safeKey = regexp.MustCompile(`^[A-Za-z0-9_.:$-]+$`)

func checkKeys(keys []string) error {
	for _, k := range keys {
		if !safeKey.MatchString(k) {
			return fmt.Errorf("attribute name %q cannot be queried", k)
		}
	}
	return nil
}

// jsonPath renders keys as a SQLite JSON path with quoted labels.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("'$")
	for _, k := range keys {
		b.WriteString(`."`)
		b.WriteString(k)
		b.WriteString(`"`)
	}
	b.WriteString("'")
	return b.String()
}

// sqliteDoc returns the JSON text and path that SQLite's json functions take
// for r.
func sqliteDoc(r jsonRef) (doc, path string) {
	if r.elem {
		return r.base + ".value", jsonPath(r.keys)
	}
	return r.base, jsonPath(r.keys)
}

// jsonText is r's value as SQL text (a string's contents, a number's
// digits); NULL when absent.
func (c *compiler) jsonText(r jsonRef) string {
	if c.d == SQLite {
		if r.elem && len(r.keys) == 0 {
			return r.base + ".value"
		}
		doc, path := sqliteDoc(r)
		return "json_extract(" + doc + ", " + path + ")"
	}
	if len(r.keys) == 0 {
		return "(" + r.base + " #>> '{}')"
	}
	return "(" + c.jsonb(jsonRef{base: r.base, keys: r.keys[:len(r.keys)-1]}) +
		" ->> '" + r.keys[len(r.keys)-1] + "')"
}

// jsonb is r as a PostgreSQL jsonb value.
func (c *compiler) jsonb(r jsonRef) string {
	s := r.base
	for _, k := range r.keys {
		s += " -> '" + k + "'"
	}
	if len(r.keys) > 0 {
		return "(" + s + ")"
	}
	return s
}

// jsonType is r's JSON type as SQLite's json_type names it ('null', 'true',
// 'false', 'integer', 'real', 'text', 'array', 'object'); NULL when absent.
func (c *compiler) sqliteType(r jsonRef) string {
	if r.elem && len(r.keys) == 0 {
		return r.base + ".type"
	}
	doc, path := sqliteDoc(r)
	return "json_type(" + doc + ", " + path + ")"
}

// jsonPresent is true when r holds a value that RFC 7644 §3.4.2.2 counts as
// present: not absent, null, "", [] or {}.
func (c *compiler) jsonPresent(r jsonRef) string {
	if c.d == SQLite {
		t, v := c.sqliteType(r), c.jsonText(r)
		return "(CASE " + t + " WHEN 'null' THEN FALSE WHEN 'text' THEN " + v +
			" <> '' WHEN 'array' THEN " + v + " <> '[]' WHEN 'object' THEN " + v +
			" <> '{}' ELSE " + t + " IS NOT NULL END)"
	}
	j := c.jsonb(r)
	return "(CASE jsonb_typeof(" + j + ") WHEN 'null' THEN FALSE WHEN 'string' THEN " + j +
		` <> '""'::jsonb WHEN 'array' THEN ` + j + " <> '[]'::jsonb WHEN 'object' THEN " + j +
		" <> '{}'::jsonb ELSE " + j + " IS NOT NULL END)"
}

// jsonBoolEq compares r with a bound JSON literal, "true" or "false".
func (c *compiler) jsonBoolEq(r jsonRef, v bool) string {
	lit := "false"
	if v {
		lit = "true"
	}
	if c.d == SQLite {
		return c.sqliteType(r) + " = " + c.bind(lit)
	}
	return c.jsonb(r) + " = CAST(" + c.bind(lit) + " AS jsonb)"
}

// jsonNumber is r as a number; NULL when it holds no number.
func (c *compiler) jsonNumber(r jsonRef) string {
	if c.d == SQLite {
		return "(CASE WHEN " + c.sqliteType(r) + " IN ('integer', 'real') THEN " +
			c.jsonText(r) + " END)"
	}
	return "(CASE WHEN jsonb_typeof(" + c.jsonb(r) + ") = 'number' THEN CAST(" +
		c.jsonText(r) + " AS numeric) END)"
}

// jsonBool is r as 1 or 0; NULL when it holds no boolean. For sorting.
func (c *compiler) jsonBool(r jsonRef) string {
	if c.d == SQLite {
		t := c.sqliteType(r)
		return "(CASE " + t + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
	}
	j := c.jsonb(r)
	return "(CASE WHEN " + j + " = 'true'::jsonb THEN 1 WHEN " + j + " = 'false'::jsonb THEN 0 END)"
}

// jsonTime is r read as an instant; NULL when it holds no dateTime. SQLite
// compares Julian day numbers, PostgreSQL timestamps.
func (c *compiler) jsonTime(r jsonRef) string {
	if c.d == SQLite {
		return "julianday(" + c.jsonText(r) + ")"
	}
	return "scimd_timestamp(" + c.jsonText(r) + ")"
}

// elements opens an iteration over the array at r: it returns the FROM
// clause of a subquery, a condition that must join its WHERE, and the ref
// of the current element. objects restricts SQLite to object elements, whose
// sub-attributes can be read.
func (c *compiler) elements(r jsonRef, objects bool) (from, where string, elem jsonRef) {
	c.aliases++
	alias := fmt.Sprintf("e%d", c.aliases)
	elem = jsonRef{base: alias, elem: true}
	if c.d == SQLite {
		doc, path := sqliteDoc(r)
		from = "json_each(" + doc + ", " + path + ") AS " + alias
		where = c.sqliteType(r) + " = 'array'"
		if objects {
			where += " AND " + alias + ".type = 'object'"
		}
		return from, where, elem
	}
	j := c.jsonb(r)
	elem.base = alias + ".v"
	from = "jsonb_array_elements(CASE WHEN jsonb_typeof(" + j + ") = 'array' THEN " + j +
		" END) WITH ORDINALITY AS " + alias + "(v, n)"
	return from, "TRUE", elem
}

// firstElement returns a scalar subquery yielding expr (written over the
// element ref it is given) for the array element at r that is primary, else
// the first one: the value RFC 7644 §3.4.2.3 sorts a multi-valued attribute
// by.
func (c *compiler) firstElement(r jsonRef, objects bool, expr func(jsonRef) string) string {
	from, where, elem := c.elements(r, objects)
	alias := strings.TrimSuffix(elem.base, ".v")
	var order string
	switch {
	case !objects && c.d == SQLite:
		order = alias + ".key"
	case !objects:
		order = alias + ".n"
	case c.d == SQLite:
		order = "(" + c.sqliteType(elem.with("primary")) + " = 'true') DESC, " + alias + ".key"
	default:
		order = "(" + c.jsonb(elem.with("primary")) + " = 'true'::jsonb) DESC NULLS LAST, " +
			alias + ".n"
	}
	return "(SELECT " + expr(elem) + " FROM " + from + " WHERE " + where +
		" ORDER BY " + order + " LIMIT 1)"
}
