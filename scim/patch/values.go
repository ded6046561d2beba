package patch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/scimd/scimd/scim"
)

// shapeAttr checks v as the whole value of attribute a and returns it in the
// shape the document stores: a list for a multi-valued attribute, an object
// with canonical sub-attribute names for a complex one. Types of simple
// values are left to scim.Normalize, which the caller runs on the result.
func shapeAttr(a *scim.Attribute, v any) (any, error) {
	if a.MultiValued {
		return shapeList(a, v)
	}
	return shapeSingle(a, v)
}

// shapeList returns v as the list of values of multi-valued attribute a.
// A single value where a list belongs is taken as a list of one, which some
// clients send for emails and phone numbers. Null elements are dropped.
func shapeList(a *scim.Attribute, v any) ([]any, error) {
	var list []any
	switch v := v.(type) {
	case nil:
		return []any{}, nil
	case []any:
		list = v
	default:
		list = []any{v}
	}

	out := make([]any, 0, len(list))
	for i, e := range list {
		s, err := shapeElem(a, e)
		if err != nil {
			return nil, prefixed(fmt.Sprintf("%s[%d]", a.Name, i), err)
		}
		if s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// shapeSingle returns v as the value of single-valued attribute a.
func shapeSingle(a *scim.Attribute, v any) (any, error) {
	// Entra ID sometimes wraps a single value in a list of one, and for a
	// simple attribute in an object as well: [{"value": "x"}].
	if list, ok := v.([]any); ok {
		if len(list) != 1 {
			return nil, scim.BadRequest(scim.ErrInvalidValue,
				"%s is single-valued: send one value, not a list of %d", a.Name, len(list))
		}
		v = list[0]
		if m, ok := v.(map[string]any); ok && a.Type != scim.Complex && len(m) == 1 {
			if inner := scim.Field(m, "value"); inner != nil {
				v = inner
			}
		}
	}
	return shapeElem(a, v)
}

// shapeOne returns v as one value of multi-valued attribute a, for a path
// that selects values with a filter. A list of one is taken as its element.
func shapeOne(a *scim.Attribute, v any) (any, error) {
	if list, ok := v.([]any); ok {
		if len(list) != 1 {
			return nil, scim.BadRequest(scim.ErrInvalidValue,
				"a filtered path sets each selected value of %s to one value: send "+
					"one object, not a list of %d", a.Name, len(list))
		}
		v = list[0]
	}
	return shapeElem(a, v)
}

// shapeElem checks one value of attribute a: the value of a single-valued
// attribute or one element of a multi-valued one.
func shapeElem(a *scim.Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.Type != scim.Complex {
		switch v.(type) {
		case map[string]any, []any:
			return nil, scim.BadRequest(scim.ErrInvalidValue,
				"%s takes a single %s value, not %s", a.Name, a.Type, scim.KindOf(v))
		}
		return v, nil
	}

	switch v := v.(type) {
	case map[string]any:
		return shapeObject(a, v)
	case string, json.Number, bool:
		// A bare value for a complex attribute that has a "value"
		// sub-attribute, as Entra ID sends the enterprise manager.
		if a.Sub("value") != nil {
			return map[string]any{"value": v}, nil
		}
	}
	return nil, scim.BadRequest(scim.ErrInvalidValue,
		"%s is complex: send an object of its sub-attributes (%s), not %s",
		a.Name, subNames(a), scim.KindOf(v))
}

// shapeObject returns the sub-attributes in m under their canonical names,
// each checked against its definition. Unknown names are kept for
// scim.Normalize to reject.
func shapeObject(a *scim.Attribute, m map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		name := k
		if sub := a.Sub(k); sub != nil {
			name = sub.Name
			if v != nil {
				var err error
				if v, err = shapeAttr(sub, v); err != nil {
					return nil, prefixed(a.Name, err)
				}
			}
		}
		if _, dup := out[name]; dup {
			return nil, scim.BadRequest(scim.ErrInvalidValue,
				"%s names the sub-attribute %q twice, in different case", a.Name, name)
		}
		out[name] = v
	}
	return out, nil
}

// subNames lists the sub-attribute names of a, for error details.
func subNames(a *scim.Attribute) string {
	names := make([]string, len(a.SubAttributes))
	for i, s := range a.SubAttributes {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// deepCopy copies the maps and lists of a JSON-decoded value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = deepCopy(e)
	}
	return out
}

// equal reports whether x and y are the same value of attribute a (nil when
// unknown). Strings compare exactly; "True" and "False" equal the booleans
// for boolean attributes, as Entra ID sends them; a null sub-attribute
// equals an absent one.
func equal(a *scim.Attribute, x, y any) bool {
	if a != nil && a.Type == scim.Boolean {
		bx, okx := asBool(x)
		by, oky := asBool(y)
		if okx && oky {
			return bx == by
		}
	}

	switch x := x.(type) {
	case map[string]any:
		y, ok := y.(map[string]any)
		return ok && equalObjects(a, x, y)
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(a, x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(x, y)
}

// valueKey returns a string that is the same for two values of attribute a
// exactly when equal reports them equal, for finding duplicates in one pass.
func valueKey(a *scim.Attribute, v any) string {
	b, err := json.Marshal(keyForm(a, v))
	if err != nil {
		// Only values built in Go, not decoded JSON, fail to marshal.
		return fmt.Sprintf("\x00%#v", v)
	}
	return string(b)
}

// keyForm returns v without null sub-attributes and with boolean strings as
// booleans, the differences equal ignores.
func keyForm(a *scim.Attribute, v any) any {
	if a != nil && a.Type == scim.Boolean {
		if b, ok := asBool(v); ok {
			return b
		}
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x == nil {
				continue
			}
			var sub *scim.Attribute
			if a != nil {
				sub = a.Sub(k)
			}
			out[k] = keyForm(sub, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = keyForm(a, x)
		}
		return out
	}
	return v
}

func equalObjects(a *scim.Attribute, x, y map[string]any) bool {
	if present(x) != present(y) {
		return false
	}
	for k, v := range x {
		if v == nil {
			continue
		}
		var sub *scim.Attribute
		if a != nil {
			sub = a.Sub(k)
		}
		if !equal(sub, v, y[k]) {
			return false
		}
	}
	return true
}

// present counts the members of m that are not null.
func present(m map[string]any) int {
	n := 0
	for _, v := range m {
		if v != nil {
			n++
		}
	}
	return n
}

// asBool reads a boolean, or the strings "true" and "false" in any case.
func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch {
		case strings.EqualFold(v, "true"):
			return true, true
		case strings.EqualFold(v, "false"):
			return false, true
		}
	}
	return false, false
}

// changed returns the names of the top-level attributes whose values differ
// between before and after, sorted. Extension attributes are named
// "urn:...:attr", with the extension's canonical URN.
func changed(rt *scim.ResourceType, before, after map[string]any) []string {
	var names []string
	for _, k := range keys(before, after) {
		if ext := rt.Extension(k); ext != nil {
			b, _ := before[k].(map[string]any)
			a, _ := after[k].(map[string]any)
			for _, name := range keys(b, a) {
				if !equal(ext.Attribute(name), b[name], a[name]) {
					names = append(names, ext.ID+":"+name)
				}
			}
			continue
		}
		if !equal(rt.Lookup("", k, ""), before[k], after[k]) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// keys returns the union of the keys of x and y.
func keys(x, y map[string]any) []string {
	ks := make([]string, 0, len(x)+len(y))
	for k := range x {
		ks = append(ks, k)
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			ks = append(ks, k)
		}
	}
	return ks
}

// isCore reports whether urn, as a resolved path carries it, names the
// resource type's core schema (or no schema at all).
func isCore(rt *scim.ResourceType, urn string) bool {
	return urn == "" || strings.EqualFold(urn, rt.Schema.ID)
}
