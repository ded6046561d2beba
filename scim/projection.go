package scim

import "strings"

// Project returns the representation of res that a client asked for with
// the attributes and excludedAttributes parameters (RFC 7644 §3.4.2.5 and
// §3.9). res is a full resource of rt: "schemas", "id", "meta" and the
// stored attributes, extensions in objects under their URN.
//
// Each attribute's "returned" characteristic (RFC 7643 §2.2) decides first:
// "never" attributes (password) are left out whatever was asked, "always"
// attributes (id, schemas) are kept whatever was asked. When attributes is
// empty, the "default" attributes are returned and "request" ones are not;
// when it is not, only the attributes it names are. excludedAttributes then
// removes what it names, except "always" attributes. When both are given,
// both apply.
//
// Paths match without regard to case and take the forms "name",
// "name.givenName" (a sub-attribute; in a multi-valued attribute, of every
// value), an extension's URN alone (the whole extension) and URN-qualified
// names such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
// Paths that name nothing in rt are ignored, as are keys of res that rt does
// not define. A complex value left empty is dropped, and "schemas" loses
// the URN of an extension that was dropped.
//
// Project never fails and does not change res; the result shares values
// with it.
func Project(rt *ResourceType, res map[string]any, attributes, excluded []string) map[string]any {
	q := query{
		selective: len(attributes) > 0,
		want:      collect(rt, attributes),
		skip:      collect(rt, excluded),
	}
	out := make(map[string]any, len(res))
	for key, v := range res {
		if s := rt.Extension(key); s != nil {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			picked := make(map[string]any, len(obj))
			for k, v := range obj {
				if a := s.Attribute(k); a != nil {
					if pv, ok := q.attribute(s, a, v); ok {
						picked[k] = pv
					}
				}
			}
			if len(picked) > 0 {
				out[key] = picked
			}
			continue
		}

		a := rt.Lookup("", key, "")
		if a == nil {
			continue
		}
		if pv, ok := q.attribute(rt.Schema, a, v); ok {
			out[key] = pv
		}
	}

	for key, v := range out {
		if strings.EqualFold(key, "schemas") {
			out[key] = presentSchemas(rt, v, out)
		}
	}
	return out
}

// ParseAttrList splits the value of an attributes or excludedAttributes
// query parameter at its commas, trimming spaces and dropping empty names.
// It returns nil for an empty list.
func ParseAttrList(s string) []string {
	var names []string
	for _, name := range strings.Split(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// paths is a parsed attribute list.
type paths struct {
	schemas map[*Schema]bool    // schemas named by their URN alone
	whole   map[*Attribute]bool // attributes and sub-attributes named
	partly  map[*Attribute]bool // complex attributes with a sub-attribute named
}

// collect parses list against rt; paths that name nothing are skipped.
func collect(rt *ResourceType, list []string) paths {
	p := paths{
		schemas: make(map[*Schema]bool),
		whole:   make(map[*Attribute]bool),
		partly:  make(map[*Attribute]bool),
	}
	for _, path := range list {
		s, a, sub := resolve(rt, strings.TrimSpace(path))
		switch {
		case sub != nil:
			p.whole[sub] = true
			p.partly[a] = true
		case a != nil:
			p.whole[a] = true
		case s != nil:
			p.schemas[s] = true
		}
	}
	return p
}

// names reports whether the list names attribute a of schema s as a whole.
func (p paths) names(s *Schema, a *Attribute) bool { return p.schemas[s] || p.whole[a] }

// resolve finds what path names: a schema alone (a and sub nil), an
// attribute (sub nil) or a sub-attribute. All results are nil when it names
// nothing in rt.
func resolve(rt *ResourceType, path string) (s *Schema, a, sub *Attribute) {
	s = rt.Schema
	if looksLikeURN(path) {
		s = urnPrefix(rt, path)
		if s == nil {
			return nil, nil, nil
		}
		path = strings.TrimPrefix(path[len(s.ID):], ":")
		if path == "" {
			return s, nil, nil
		}
	}

	name, subName, hasSub := strings.Cut(path, ".")
	if s == rt.Schema {
		a = rt.Lookup("", name, "")
	} else {
		a = s.Attribute(name)
	}
	switch {
	case a == nil:
		return nil, nil, nil
	case !hasSub:
		return s, a, nil
	}
	if sub = a.Sub(subName); sub == nil {
		return nil, nil, nil
	}
	return s, a, sub
}

// urnPrefix returns the schema of rt whose URN path starts with, followed
// by the end of path or a colon, or nil.
func urnPrefix(rt *ResourceType, path string) *Schema {
	var best *Schema
	for _, s := range append([]*Schema{rt.Schema}, extensionSchemas(rt)...) {
		n := len(s.ID)
		if len(path) < n || !strings.EqualFold(path[:n], s.ID) {
			continue
		}
		if len(path) > n && path[n] != ':' {
			continue
		}
		if best == nil || n > len(best.ID) {
			best = s
		}
	}
	return best
}

func extensionSchemas(rt *ResourceType) []*Schema {
	out := make([]*Schema, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		out = append(out, e.Schema)
	}
	return out
}

// query is one projection: what attributes and excludedAttributes asked.
type query struct {
	selective  bool // attributes named some
	want, skip paths
}

// attribute decides whether a, a top-level attribute of s, is returned and
// projects its sub-attributes.
func (q query) attribute(s *Schema, a *Attribute, v any) (any, bool) {
	switch a.Returned {
	case ReturnedNever:
		return nil, false
	case ReturnedAlways:
		return q.complex(a, v, true)
	}
	if q.skip.names(s, a) {
		return nil, false
	}

	whole := q.want.names(s, a)
	switch {
	case q.selective && !whole && !q.want.partly[a]:
		return nil, false
	case !q.selective && a.Returned == ReturnedRequest:
		return nil, false
	}
	return q.complex(a, v, whole || !q.selective)
}

// complex projects the sub-attributes of v, a value of a. whole says that
// a itself was asked for (or is returned by default), rather than some of
// its sub-attributes.
func (q query) complex(a *Attribute, v any, whole bool) (any, bool) {
	if a.Type != Complex {
		return v, true
	}
	switch x := v.(type) {
	case map[string]any:
		obj := q.pick(a, x, whole)
		return obj, len(obj) > 0
	case []any:
		out := make([]any, 0, len(x))
		for _, el := range x {
			obj, ok := el.(map[string]any)
			if !ok {
				continue
			}
			if obj = q.pick(a, obj, whole); len(obj) > 0 {
				out = append(out, obj)
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

func (q query) pick(a *Attribute, obj map[string]any, whole bool) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		sub := a.Sub(k)
		if sub != nil && q.keepSub(sub, whole) {
			out[k] = v
		}
	}
	return out
}

func (q query) keepSub(sub *Attribute, whole bool) bool {
	switch {
	case sub.Returned == ReturnedNever:
		return false
	case sub.Returned == ReturnedAlways:
		return true
	case q.skip.whole[sub]:
		return false
	case q.want.whole[sub]:
		return true
	case !q.selective:
		return sub.Returned == ReturnedDefault
	}
	return whole
}

// presentSchemas returns v, a "schemas" value, without the URNs of the
// extensions that res does not hold.
func presentSchemas(rt *ResourceType, v any, res map[string]any) any {
	var urns []string
	switch x := v.(type) {
	case []string:
		urns = x
	case []any:
		for _, u := range x {
			if s, ok := u.(string); ok {
				urns = append(urns, s)
			}
		}
	default:
		return v
	}

	out := make([]string, 0, len(urns))
	for _, urn := range urns {
		if s := rt.Extension(urn); s != nil && !holds(res, s.ID) {
			continue
		}
		out = append(out, urn)
	}
	return out
}

// holds reports whether res has a key equal to urn without regard to case.
func holds(res map[string]any, urn string) bool {
	for k := range res {
		if strings.EqualFold(k, urn) {
			return true
		}
	}
	return false
}
