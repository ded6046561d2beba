package filter

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/scimd/scimd/scim"
)

// Match reports whether the resource res satisfies e, following RFC 7644
// §3.4.2.2:
//
//   - a multi-valued attribute matches when any of its values does;
//   - strings compare without regard to case unless the attribute is
//     caseExact (folding is strings.ToLower); gt, ge, lt and le on strings
//     are lexicographic on the folded bytes;
//   - dateTime attributes compare chronologically, whatever offset and
//     fraction each side is written with;
//   - numbers compare numerically, so 1 equals 1.0;
//   - pr is false for an absent attribute, null, "", [] and {};
//   - "ne" is the negation of "eq": it is true when no value equals, which
//     includes an absent attribute; likewise "eq null" is true exactly when
//     the attribute is not present, and "ne null" when it is.
//
// e should come from Resolve, whose canonical names and types Match relies
// on to choose the comparison; res is a resource as encoding/json decodes it
// with UseNumber (string, bool, json.Number, []any, map[string]any; float64
// and Go integers are accepted too), extension attributes under their schema
// URN. Keys match without regard to case. rt may be nil, in which case
// strings compare without regard to case and dateTimes as strings.
func Match(e Expr, rt *scim.ResourceType, res map[string]any) bool {
	m := matcher{rt: rt}
	return m.match(e, res, nil)
}

type matcher struct{ rt *scim.ResourceType }

// match evaluates e on obj: the resource, or when in is not nil an element
// of the multi-valued attribute in.
func (m matcher) match(e Expr, obj map[string]any, in *scim.Attribute) bool {
	switch e := e.(type) {
	case *And:
		return m.match(e.Left, obj, in) && m.match(e.Right, obj, in)
	case *Or:
		return m.match(e.Left, obj, in) || m.match(e.Right, obj, in)
	case *Not:
		return !m.match(e.X, obj, in)
	case *Present:
		return anyPresent(m.values(e.Attr, obj))
	case *Compare:
		return m.compare(e, obj, in)
	case *ValuePath:
		def := m.def(e.Attr, nil)
		for _, v := range list(m.values(e.Attr, obj)) {
			if el, ok := v.(map[string]any); ok && m.match(e.Filter, el, def) {
				return true
			}
		}
	}
	return false
}

func (m matcher) compare(c *Compare, obj map[string]any, in *scim.Attribute) bool {
	vals := m.values(c.Attr, obj)
	switch {
	case c.Value == nil && c.Op == Eq:
		return !anyPresent(vals)
	case c.Value == nil:
		return anyPresent(vals)
	case c.Op == Ne:
		return !m.compare(&Compare{Attr: c.Attr, Op: Eq, Value: c.Value}, obj, in)
	}

	def := m.def(c.Attr, in)
	for _, v := range list(vals) {
		// An unresolved `emails eq "x"` compares the element's value.
		if el, ok := v.(map[string]any); ok && c.Attr.Sub == "" {
			v = get(el, "value")
		}
		if compareOne(v, c.Op, c.Value, def) {
			return true
		}
	}
	return false
}

// values returns the value of attr in obj: a single value, or a []any when
// the attribute is multi-valued. A sub-attribute of a multi-valued attribute
// gathers the sub-attribute of every element.
func (m matcher) values(attr AttrPath, obj map[string]any) any {
	if attr.URN != "" {
		ext, _ := get(obj, attr.URN).(map[string]any)
		obj = ext
	}
	v := get(obj, attr.Name)
	if attr.Sub == "" {
		return v
	}

	var out []any
	for _, el := range list(v) {
		if el, ok := el.(map[string]any); ok {
			out = append(out, list(get(el, attr.Sub))...)
		}
	}
	return out
}

// def returns the definition of attr, a sub-attribute of in when in is not
// nil, or nil when it is unknown.
func (m matcher) def(attr AttrPath, in *scim.Attribute) *scim.Attribute {
	switch {
	case in != nil:
		return in.Sub(attr.Name)
	case m.rt != nil:
		return m.rt.Lookup(attr.URN, attr.Name, attr.Sub)
	}
	return nil
}

// compareOne applies op to one value of the resource and the filter's
// value want.
func compareOne(v any, op Op, want any, def *scim.Attribute) bool {
	switch want := want.(type) {
	case bool:
		b, ok := v.(bool)
		return ok && op == Eq && b == want
	case json.Number:
		c, ok := compareNumbers(v, want)
		return ok && ordered(op, c)
	case string:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if def != nil && def.Type == scim.DateTime && op != Co && op != Sw && op != Ew {
			if c, ok := compareTimes(s, want); ok {
				return ordered(op, c)
			}
		}
		if def == nil || !def.CaseExact {
			s, want = strings.ToLower(s), strings.ToLower(want)
		}
		switch op {
		case Co:
			return strings.Contains(s, want)
		case Sw:
			return strings.HasPrefix(s, want)
		case Ew:
			return strings.HasSuffix(s, want)
		}
		return ordered(op, strings.Compare(s, want))
	}
	return false
}

// ordered applies eq, gt, ge, lt or le to the result of a three-way
// comparison.
func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

func compareTimes(a, b string) (int, bool) {
	ta, ok := parseTime(a)
	if !ok {
		return 0, false
	}
	tb, ok := parseTime(b)
	if !ok {
		return 0, false
	}
	return ta.Compare(tb), true
}

// compareNumbers compares a resource value with a filter number: exactly as
// integers when both are, otherwise as float64.
func compareNumbers(v any, want json.Number) (int, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		return 0, false
	}

	a, errA := strconv.ParseInt(s, 10, 64)
	b, errB := strconv.ParseInt(string(want), 10, 64)
	if errA == nil && errB == nil {
		return cmp3(a, b), true
	}
	fa, errA := strconv.ParseFloat(s, 64)
	fb, errB := strconv.ParseFloat(string(want), 64)
	if errA != nil && !isRange(errA) || errB != nil && !isRange(errB) {
		return 0, false
	}
	return cmp3(fa, fb), true
}

// isRange reports a number too large for float64; ParseFloat returns ±Inf,
// which still orders correctly.
func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// anyPresent reports whether v, or any element of it, has a value
// (RFC 7644 §3.4.2.2 "pr").
func anyPresent(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		for _, el := range v {
			if anyPresent(el) {
				return true
			}
		}
		return false
	case map[string]any:
		for _, el := range v {
			if anyPresent(el) {
				return true
			}
		}
		return false
	}
	return true
}

// list returns the values of a multi-valued attribute, or a single value as
// a list of one.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// get returns obj[key], or the value of a key equal to it without regard to
// case.
func get(obj map[string]any, key string) any {
	if v, ok := obj[key]; ok {
		return v
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
