package patch

import (
	"slices"
	"strings"

	"github.com/scimd/scimd/scim"
)

// removeValues removes from multi-valued attribute a, held in c, every value
// that matches one of the values in value: equal for simple values, equal
// in every sub-attribute given for complex ones. The patterns are indexed
// first, so that the work grows with the number of stored values plus the
// number of patterns rather than with their product: a request may name
// thousands of values, as the body limit allows.
func removeValues(c map[string]any, a *scim.Attribute, value any) error {
	gone, err := shapeList(a, value)
	if err != nil {
		return err
	}
	list, _ := c[a.Name].([]any)
	idx := indexPatterns(a, gone, list)
	var hits []int
	for i, e := range list {
		if idx.match(e) {
			hits = append(hits, i)
		}
	}
	setList(c, a.Name, without(list, hits))
	return nil
}

// patterns holds the values a remove names, by canonical key.
//
// A simple pattern matches a value it equals, and valueKey gives two values
// the same key exactly when equal reports them equal. An object pattern
// matches an object that holds each of the pattern's non-null
// sub-attributes with an equal value: the object's projection on the
// pattern's names then has the pattern's key. Object patterns are grouped
// by their set of names, so that a stored value is looked up once per set.
type patterns struct {
	a      *scim.Attribute
	simple map[string]bool
	shapes []shape
}

// shape is a set of sub-attribute names and the keys of the object patterns
// that name exactly those.
type shape struct {
	names []string // sorted
	keys  map[string]bool
}

// indexPatterns indexes gone, the patterns of a remove from list. A pattern
// that names a sub-attribute no value in list holds matches nothing and is
// left out, so that the sets of names are bounded by what list holds (the
// sub-attributes of a) rather than by what the request invents.
func indexPatterns(a *scim.Attribute, gone, list []any) *patterns {
	held := map[string]bool{}
	for _, e := range list {
		if obj, ok := e.(map[string]any); ok {
			for k, v := range obj {
				if v != nil {
					held[k] = true
				}
			}
		}
	}

	p := &patterns{a: a, simple: map[string]bool{}}
	byNames := map[string]int{} // index in p.shapes by the names joined
	for _, g := range gone {
		obj, ok := g.(map[string]any)
		if !ok {
			p.simple[valueKey(a, g)] = true
			continue
		}
		names := make([]string, 0, len(obj))
		for k, v := range obj {
			if v != nil {
				names = append(names, k)
			}
		}
		if !allHeld(names, held) {
			continue
		}
		slices.Sort(names)
		id := strings.Join(names, "\x00")
		i, ok := byNames[id]
		if !ok {
			i = len(p.shapes)
			byNames[id] = i
			p.shapes = append(p.shapes, shape{names: names, keys: map[string]bool{}})
		}
		key, _ := project(a, obj, names)
		p.shapes[i].keys[key] = true
	}
	return p
}

func allHeld(names []string, held map[string]bool) bool {
	for _, n := range names {
		if !held[n] {
			return false
		}
	}
	return true
}

// match reports whether e matches one of the patterns.
func (p *patterns) match(e any) bool {
	if len(p.simple) > 0 && p.simple[valueKey(p.a, e)] {
		return true
	}
	obj, ok := e.(map[string]any)
	if !ok {
		return false
	}
	for _, s := range p.shapes {
		if key, ok := project(p.a, obj, s.names); ok && s.keys[key] {
			return true
		}
	}
	return false
}

// project returns the key of obj's sub-attributes names, or false when obj
// lacks one of them (or holds null): no pattern naming it can match then.
func project(a *scim.Attribute, obj map[string]any, names []string) (string, bool) {
	part := make(map[string]any, len(names))
	for _, n := range names {
		v := obj[n]
		if v == nil {
			return "", false
		}
		part[n] = v
	}
	return valueKey(a, part), true
}
