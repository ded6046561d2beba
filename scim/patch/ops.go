package patch

import (
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// whole applies an operation to attribute a as a whole, held in c.
func (s *state) whole(kind Kind, c map[string]any, a *scim.Attribute, value any) error {
	if kind == Remove {
		// Entra ID names the values to remove from a multi-valued attribute
		// in the value; otherwise the attribute goes (RFC 7644 §3.5.2.2).
		if value != nil && a.MultiValued {
			return removeValues(c, a, value)
		}
		delete(c, a.Name)
		return nil
	}

	v, err := shapeAttr(a, value)
	if err != nil {
		return err
	}
	switch {
	case a.MultiValued && kind == Add:
		// RFC 7644 §3.5.2.1: values are added; one already there is not
		// added twice, so that a retried add changes nothing.
		list, _ := c[a.Name].([]any)
		have := make(map[string]bool, len(list))
		for _, e := range list {
			have[valueKey(a, e)] = true
		}
		var added []int
		for _, e := range v.([]any) {
			if k := valueKey(a, e); !have[k] {
				have[k] = true
				list = append(list, e)
				added = append(added, len(list)-1)
			}
		}
		fixPrimary(a, list, added)
		setList(c, a.Name, list)
	case a.MultiValued:
		setList(c, a.Name, v.([]any))
	case a.Type == scim.Complex && v != nil:
		// Add and replace both merge into a complex attribute: sub-attributes
		// not in the value are left alone (RFC 7644 §3.5.2.3).
		obj, ok := c[a.Name].(map[string]any)
		if !ok {
			obj = map[string]any{}
		}
		for k, sv := range v.(map[string]any) {
			set(obj, k, sv)
		}
		setObject(c, a.Name, obj)
	default:
		set(c, a.Name, v)
	}
	return nil
}

// subOfSingle applies an operation to sub-attribute sub of the single-valued
// complex attribute a, held in c, as in "name.givenName".
func (s *state) subOfSingle(kind Kind, c map[string]any, a, sub *scim.Attribute, value any) error {
	obj, _ := c[a.Name].(map[string]any)
	if kind == Remove {
		if obj != nil {
			delete(obj, sub.Name)
			setObject(c, a.Name, obj)
		}
		return nil
	}

	v, err := shapeAttr(sub, value)
	if err != nil {
		return err
	}
	if obj == nil {
		obj = map[string]any{}
	}
	set(obj, sub.Name, v)
	setObject(c, a.Name, obj)
	return nil
}

// selected applies an operation to the values of multi-valued attribute a
// that p's filter selects (every value when p has none), or to their
// sub-attribute sub when it is not nil (RFC 7644 §3.5.2.2, §3.5.2.3).
func (s *state) selected(kind Kind, c map[string]any, a *scim.Attribute, p filter.Path,
	sub *scim.Attribute, value any) error {
	list, _ := c[a.Name].([]any)
	hits := s.match(a, p, list)

	if kind == Remove {
		// A filter that matches nothing is not an error: identity providers
		// retry removes, and the value is gone either way.
		if sub == nil {
			setList(c, a.Name, without(list, hits))
			return nil
		}
		for _, i := range hits {
			if obj, ok := list[i].(map[string]any); ok {
				delete(obj, sub.Name)
			}
		}
		return nil
	}

	var (
		v   any
		err error
	)
	if sub != nil {
		v, err = shapeAttr(sub, value)
	} else {
		v, err = shapeOne(a, value)
	}
	if err != nil {
		return err
	}
	if sub == nil && v == nil {
		// Setting the selected values to null unassigns them.
		setList(c, a.Name, without(list, hits))
		return nil
	}

	if len(hits) == 0 {
		// No value matches. Entra ID replaces `emails[type eq "work"].value`
		// on a user without a work email and expects one to be made; build
		// it from the filter's eq clauses. Without a sub-attribute, replace
		// has no target (RFC 7644 §3.5.2.3) while add adds.
		if sub == nil && kind == Replace {
			return scim.BadRequest(scim.ErrNoTarget,
				"no value of %s matches the filter, so there is nothing to replace; "+
					"use add to add a value", a.Name)
		}
		elem, ok := fromFilter(p.Filter)
		if !ok {
			return scim.BadRequest(scim.ErrNoTarget,
				"no value of %s matches the filter, and a new one cannot be built from "+
					"it: only eq comparisons joined by and say what it would hold", a.Name)
		}
		if sub != nil {
			set(elem, sub.Name, v)
		} else if obj, ok := v.(map[string]any); ok {
			for k, sv := range obj {
				set(elem, k, sv)
			}
		}
		list = append(list, elem)
		hits = []int{len(list) - 1}
	} else {
		for _, i := range hits {
			obj, _ := list[i].(map[string]any)
			switch {
			case sub != nil && obj != nil:
				set(obj, sub.Name, deepCopy(v))
			case sub != nil:
				// A non-object where an object belongs; let Normalize report it.
			case kind == Replace:
				list[i] = deepCopy(v)
			case obj != nil:
				vobj, _ := v.(map[string]any)
				for k, sv := range vobj {
					set(obj, k, deepCopy(sv))
				}
			}
		}
	}
	fixPrimary(a, list, hits)
	setList(c, a.Name, list)
	return nil
}

// match returns the indexes of the values in list that p's filter selects;
// all of them when p has no filter.
func (s *state) match(a *scim.Attribute, p filter.Path, list []any) []int {
	var hits []int
	vp := &filter.ValuePath{Attr: filter.AttrPath{URN: p.Attr.URN, Name: a.Name},
		Filter: p.Filter}
	for i, e := range list {
		if p.Filter == nil || filter.Match(vp, s.rt, s.wrap(p.Attr.URN, a, e)) {
			hits = append(hits, i)
		}
	}
	return hits
}

// wrap returns a resource holding e as the only value of attribute a, for
// matching a value filter against e alone. Boolean sub-attributes sent as
// "True" or "False" (Entra ID) are read as booleans.
func (s *state) wrap(urn string, a *scim.Attribute, e any) map[string]any {
	if obj, ok := e.(map[string]any); ok {
		copied := false
		for k, v := range obj {
			sub := a.Sub(k)
			b, ok := asBool(v)
			if _, isBool := v.(bool); sub == nil || sub.Type != scim.Boolean || !ok || isBool {
				continue
			}
			if !copied {
				obj, copied = copyMap(obj), true
			}
			obj[k] = b
		}
		e = obj
	}
	res := map[string]any{a.Name: []any{e}}
	if !isCore(s.rt, urn) {
		res = map[string]any{urn: res}
	}
	return res
}

// fromFilter builds a value from the eq clauses of a filter joined by and,
// as in `type eq "work" and primary eq true`. It reports false for any
// other filter, which does not say what the value would be.
func fromFilter(f filter.Expr) (map[string]any, bool) {
	elem := map[string]any{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch e := e.(type) {
		case nil:
			return true
		case *filter.And:
			return walk(e.Left) && walk(e.Right)
		case *filter.Compare:
			if e.Op != filter.Eq || e.Attr.URN != "" || e.Attr.Sub != "" || e.Value == nil {
				return false
			}
			elem[e.Attr.Name] = e.Value
			return true
		}
		return false
	}
	return elem, walk(f)
}

// fixPrimary keeps "primary": true on at most one value of a: when one of
// the values at touched has it, the others lose it (RFC 7644 §3.5.2).
func fixPrimary(a *scim.Attribute, list []any, touched []int) {
	if a.Sub("primary") == nil {
		return
	}
	keep := -1
	for _, i := range touched {
		if isPrimary(list[i]) {
			keep = i
			break
		}
	}
	if keep < 0 {
		return
	}
	for i, e := range list {
		if i != keep && isPrimary(e) {
			e.(map[string]any)["primary"] = false
		}
	}
}

func isPrimary(e any) bool {
	obj, ok := e.(map[string]any)
	if !ok {
		return false
	}
	b, _ := asBool(obj["primary"])
	return b
}

// without returns list less the values at the ascending indexes hits.
func without(list []any, hits []int) []any {
	if len(hits) == 0 {
		return list
	}
	out := make([]any, 0, len(list)-len(hits))
	next := 0
	for i, e := range list {
		if next < len(hits) && hits[next] == i {
			next++
			continue
		}
		out = append(out, e)
	}
	return out
}

// set stores v under k in m, or deletes k when v is null: RFC 7643 §2.5
// treats null as unassigned.
func set(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}

// setList stores a list, or deletes it when empty: RFC 7643 §2.4 treats an
// empty multi-valued attribute as unassigned.
func setList(c map[string]any, k string, list []any) {
	if len(list) == 0 {
		delete(c, k)
		return
	}
	c[k] = list
}

// setObject stores a complex value, or deletes it when no sub-attribute is
// left.
func setObject(c map[string]any, k string, obj map[string]any) {
	if len(obj) == 0 {
		delete(c, k)
		return
	}
	c[k] = obj
}
