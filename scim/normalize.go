package scim

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// normalizer carries the state of one NormalizeAttributes call: the paths of
// the unknown attributes it dropped.
type normalizer struct {
	unknown map[string]bool
}

func (n *normalizer) drop(path string) {
	if n.unknown == nil {
		n.unknown = make(map[string]bool)
	}
	n.unknown[path] = true
}

func (n *normalizer) dropped() []string {
	if len(n.unknown) == 0 {
		return nil
	}
	paths := make([]string, 0, len(n.unknown))
	for p := range n.unknown {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// value normalizes v, the value of attribute a at path. It reports false
// when the attribute is to be left out: it is readOnly or unassigned.
func (n *normalizer) value(a *Attribute, path string, v any) (any, bool, error) {
	if a.Mutability == ReadOnly || v == nil {
		return nil, false, nil
	}
	list, isList := v.([]any)
	if !a.MultiValued {
		if isList {
			return nil, false, BadRequest(ErrInvalidValue,
				"attribute %q takes a single %s value; got an array", path, a.Type)
		}
		return n.single(a, path, v)
	}

	// A single value for a multi-valued attribute is a list of one.
	if !isList {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	primaries := 0
	for _, el := range list {
		if _, nested := el.([]any); nested {
			return nil, false, BadRequest(ErrInvalidValue,
				"attribute %q must be an array of %s values; got an array inside the array",
				path, a.Type)
		}
		val, ok, err := n.single(a, path, el)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		if obj, isObj := val.(map[string]any); isObj && obj["primary"] == true {
			primaries++
		}
		out = append(out, val)
	}
	if primaries > 1 {
		return nil, false, BadRequest(ErrInvalidValue,
			`attribute %q has %d values with "primary": true; at most one may be primary`,
			path, primaries)
	}
	if len(out) == 0 {
		return nil, false, nil
	}
	return out, true, nil
}

// single normalizes one value of attribute a, which is not an array.
func (n *normalizer) single(a *Attribute, path string, v any) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	if a.Type != Complex {
		// An empty string is no value (RFC 7644 §3.4.2.2 "pr"), so it is
		// unassigned like null: stored, it would be "" in the document but
		// absent from the lookup columns, and filters would disagree.
		if v == "" && a.Type != Boolean && a.Type != Integer && a.Type != Decimal {
			if a.Required {
				return nil, false, BadRequest(ErrInvalidValue,
					"attribute %q must not be empty", path)
			}
			return nil, false, nil
		}
		val, err := coerce(a, path, v)
		return val, err == nil, err
	}

	if s, isStr := v.(string); isStr && a.Sub("value") != nil {
		if s == "" {
			return nil, false, nil
		}
		v = map[string]any{"value": s}
	}
	return n.object(a.SubAttributes, path, path+".", v)
}

// object normalizes v, an object whose members are attrs: a complex value
// or an extension's attributes. path names v in errors; the paths of its
// members start with prefix. It reports false when nothing is left.
func (n *normalizer) object(attrs []*Attribute, path, prefix string, v any) (
	map[string]any, bool, error,
) {
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, false, nil
		}
		return nil, false, BadRequest(ErrInvalidValue,
			"attribute %q must be a complex value (a JSON object); got %s", path, KindOf(v))
	}

	out := make(map[string]any, len(obj))
	names := make(map[string]string, len(obj))
	for _, key := range sortedKeys(obj) {
		a := find(attrs, key)
		if a == nil {
			n.drop(prefix + key)
			continue
		}
		if err := claim(names, prefix+a.Name, key); err != nil {
			return nil, false, err
		}
		val, ok, err := n.value(a, prefix+a.Name, obj[key])
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[a.Name] = val
		}
	}
	if err := checkRequired(attrs, out, prefix); err != nil {
		return nil, false, err
	}
	return out, len(out) > 0, nil
}

// checkRequired fails when obj, a normalized object, lacks one of the
// required attributes among attrs. An empty string never reaches obj:
// single refuses it for a required attribute.
func checkRequired(attrs []*Attribute, obj map[string]any, prefix string) error {
	for _, a := range attrs {
		if a.Required && a.Mutability != ReadOnly && obj[a.Name] == nil {
			return BadRequest(ErrInvalidValue, "attribute %q is required", prefix+a.Name)
		}
	}
	return nil
}

// coerce checks v against the type of the simple attribute a and returns
// it in canonical form.
func coerce(a *Attribute, path string, v any) (any, error) {
	switch a.Type {
	case Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// Microsoft Entra ID sends booleans as "True" and "False".
			switch {
			case strings.EqualFold(x, "true"):
				return true, nil
			case strings.EqualFold(x, "false"):
				return false, nil
			}
			return nil, BadRequest(ErrInvalidValue,
				"attribute %q must be a boolean (true or false); got the string %q",
				path, Clip(x))
		}
		return nil, typeError(path, "a boolean (true or false)", v)

	case Integer:
		num, ok := number(v)
		i, err := strconv.ParseInt(string(num), 10, 64)
		if !ok || err != nil {
			return nil, typeError(path, "an integer", v)
		}
		return json.Number(strconv.FormatInt(i, 10)), nil

	case Decimal:
		num, ok := number(v)
		if !ok {
			return nil, typeError(path, "a decimal number", v)
		}
		if _, err := strconv.ParseFloat(string(num), 64); err != nil {
			return nil, typeError(path, "a decimal number", v)
		}
		return num, nil
	}

	// The remaining types are strings on the wire.
	s, ok := v.(string)
	if !ok {
		return nil, typeError(path, "a string", v)
	}
	switch a.Type {
	case DateTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, BadRequest(ErrInvalidValue,
				"attribute %q must be a dateTime such as \"2025-01-31T09:30:00Z\" "+
					"(RFC 3339); got %q", path, Clip(s))
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case Binary:
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, BadRequest(ErrInvalidValue,
				"attribute %q must be base64-encoded binary data: %s", path, err)
		}
	}
	return s, nil
}

// number returns v as a JSON number. Decode yields json.Number; documents
// built in Go may hold ints or float64s.
func number(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		return x, true
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64)), true
	case int:
		return json.Number(strconv.Itoa(x)), true
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true
	}
	return "", false
}

func typeError(path, want string, got any) *Error {
	return BadRequest(ErrInvalidValue, "attribute %q must be %s; got %s", path, want, KindOf(got))
}

// KindOf names the JSON type of v for an error detail ("a string", "an
// object"). It never includes the value itself, which may be a password.
func KindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "an unsupported value"
}

// Clip shortens s to about 40 bytes, on a character boundary, for quoting
// client input in an error detail.
func Clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
