package patch

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// Result is the outcome of Apply.
type Result struct {
	// Doc is the patched document, a copy: the input is never modified.
	Doc map[string]any
	// Members lists the changes to a group's membership, in request order.
	Members []MemberOp
	// Changed names the top-level attributes whose value differs between
	// the input document and Doc, canonical and sorted; extension attributes
	// appear as "urn:...:attr". Membership changes are reported by Members
	// only, since whether they change anything is known to the store.
	Changed []string
	// Ignored lists the keys of path-less value objects that name no known
	// attribute (URN-qualified when under an extension object), in the
	// order they were met, for the caller to log. They are skipped
	// as scim.Normalize drops unknown attributes of a POST, so that an
	// identity provider mapping more attributes than scimd knows keeps
	// working; an unknown attribute in an explicit path is an error.
	Ignored []string
}

// Apply applies ops in order to a copy of doc, the stored document of a
// resource of type rt: canonical names, client-writable attributes only
// (no id, meta, groups or members). It follows RFC 7644 §3.5.2 and accepts
// the variants that Okta, Entra ID, OneLogin and JumpCloud send; operations
// on a group's members come out as MemberOps instead of changing Doc.
//
// Apply is all or nothing and never modifies doc: on error it returns a
// *scim.Error whose detail starts with the index of the failing operation
// and says why it failed. Result.Doc is not validated beyond the shape of
// values: the caller runs scim.NormalizeAttributes on it.
func Apply(rt *scim.ResourceType, doc map[string]any, ops []Operation) (*Result, error) {
	s := &state{rt: rt, doc: copyMap(doc)}
	for i, op := range ops {
		if err := s.apply(op); err != nil {
			where := fmt.Sprintf("Operations[%d] (%s)", i, op.Op)
			if op.Path != "" {
				where = fmt.Sprintf("Operations[%d] (%s %s)", i, op.Op, op.Path)
			}
			return nil, prefixed(where, err)
		}
	}
	return &Result{Doc: s.doc, Members: s.members, Changed: changed(rt, doc, s.doc),
		Ignored: s.ignored}, nil
}

// state is the document being patched and the member operations found so
// far.
type state struct {
	rt      *scim.ResourceType
	doc     map[string]any
	members []MemberOp
	ignored []string
}

func (s *state) apply(op Operation) error {
	kind, ok := parseKind(string(op.Op))
	if !ok {
		return scim.BadRequest(scim.ErrInvalidSyntax,
			"unknown op %q: use \"add\", \"remove\" or \"replace\"", op.Op)
	}
	if kind != Remove && op.Value == nil {
		return scim.BadRequest(scim.ErrInvalidValue, "%s needs a \"value\"", kind)
	}

	if op.Path == "" {
		if kind == Remove {
			return scim.BadRequest(scim.ErrNoTarget,
				"remove needs a \"path\" naming the attribute or the values to remove")
		}
		return s.applyObject(kind, "", op.Value)
	}
	p, err := s.resolve(op.Path)
	if err != nil {
		return err
	}
	return s.applyPath(kind, p, op.Value, true)
}

// applyObject applies a path-less add or replace: each member of value is an
// attribute and its value (RFC 7644 §3.5.2.1, §3.5.2.3). Keys may be dotted,
// URN-qualified or filtered paths (Entra ID), or an extension URN holding an
// object of its attributes. Read-only attributes are skipped, since Okta
// sends the id back and others echo meta; "schemas" is skipped too, since
// the server derives it from the attributes present. urn, when not "",
// qualifies every key.
func (s *state) applyObject(kind Kind, urn string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return scim.BadRequest(scim.ErrInvalidValue,
			"without a path, the value must be an object of attributes to %s, "+
				"such as {\"active\": false}, not %s", kind, scim.KindOf(value))
	}

	// Sorted, so that a whole attribute ("name") comes before a path into
	// it ("name.givenName") and results do not depend on map order.
	ks := make([]string, 0, len(obj))
	for k := range obj {
		ks = append(ks, k)
	}
	sort.Strings(ks)

	for _, k := range ks {
		v := obj[k]
		if urn == "" && strings.EqualFold(k, "schemas") {
			continue
		}
		if sch := s.rt.SchemaFor(k); urn == "" && sch != nil {
			if err := s.applyObject(kind, sch.ID, v); err != nil {
				return prefixed(k, err)
			}
			continue
		}

		raw := k
		if urn != "" {
			raw = urn + ":" + k
		}
		p, err := filter.ParsePath(raw)
		if err == nil && !s.known(p) {
			s.ignored = append(s.ignored, raw)
			continue
		}
		if err == nil {
			p, err = filter.ResolvePath(p, s.rt)
		}
		if err != nil {
			return pathError(raw, err)
		}
		if top, sub, err := s.attributes(p); err == nil && readOnly(top, sub) {
			continue
		}
		if err := s.applyPath(kind, p, v, false); err != nil {
			return err
		}
	}
	return nil
}

// resolve parses and resolves an attribute path against the resource type.
func (s *state) resolve(raw string) (filter.Path, error) {
	p, err := filter.ParsePath(raw)
	if err == nil {
		p, err = filter.ResolvePath(p, s.rt)
	}
	if err != nil {
		return p, pathError(raw, err)
	}
	return p, nil
}

// pathError returns err from parsing or resolving the path raw as a SCIM
// error; package filter already returns 400 invalidPath ones.
func pathError(raw string, err error) error {
	if _, ok := scim.AsError(err); ok {
		return err
	}
	return scim.BadRequest(scim.ErrInvalidPath, "invalid path %q: %v", raw, err)
}

// known reports whether the parsed path p names an attribute of the
// resource type, and a sub-attribute of it where it names one. A path with
// an unknown schema URN counts as known, so that resolving it reports the
// URN: scimd would lose data the client expects it to keep.
func (s *state) known(p filter.Path) bool {
	if p.Attr.URN != "" && s.rt.SchemaFor(p.Attr.URN) == nil {
		return true
	}
	top := s.rt.Lookup(p.Attr.URN, p.Attr.Name, "")
	if top == nil && p.Attr.URN == "" {
		// ResolvePath finds an unqualified name in an extension too.
		for _, ext := range s.rt.Extensions {
			if top = ext.Schema.Attribute(p.Attr.Name); top != nil {
				break
			}
		}
	}
	if top == nil {
		return false
	}
	for _, sub := range []string{p.Attr.Sub, p.Sub} {
		if sub != "" && top.Type == scim.Complex && top.Sub(sub) == nil {
			return false
		}
	}
	return true
}

// attributes returns the definitions of the attribute a path targets and of
// its sub-attribute (nil when the path names none).
func (s *state) attributes(p filter.Path) (top, sub *scim.Attribute, err error) {
	top = s.rt.Lookup(p.Attr.URN, p.Attr.Name, "")
	if top == nil {
		return nil, nil, scim.BadRequest(scim.ErrInvalidPath,
			"unknown attribute %q", p.Attr.Name)
	}
	name := p.Attr.Sub
	if p.Sub != "" {
		if name != "" {
			return nil, nil, scim.BadRequest(scim.ErrInvalidPath,
				"a path names one sub-attribute, either before or after the filter")
		}
		name = p.Sub
	}
	if name == "" {
		return top, nil, nil
	}
	if sub = top.Sub(name); sub == nil {
		return nil, nil, scim.BadRequest(scim.ErrInvalidPath,
			"%s has no sub-attribute %q; it has %s", top.Name, name, subNames(top))
	}
	return top, sub, nil
}

func readOnly(top, sub *scim.Attribute) bool {
	return top.Mutability == scim.ReadOnly || sub != nil && sub.Mutability == scim.ReadOnly
}

// applyPath applies one operation to the attribute path p. explicit is false
// for the members of a path-less value object.
func (s *state) applyPath(kind Kind, p filter.Path, value any, explicit bool) error {
	top, sub, err := s.attributes(p)
	if err != nil {
		return err
	}

	// Members live in their own table, whatever the group's size.
	if isMembers(s.rt, p) {
		op, ok, err := memberOp(kind, p, value)
		if ok {
			s.members = append(s.members, op)
		}
		return err
	}

	if explicit && readOnly(top, sub) {
		return scim.BadRequest(scim.ErrMutability,
			"%s is read-only: the server sets it", pathName(top, sub))
	}
	if p.Filter != nil && !top.MultiValued {
		return scim.BadRequest(scim.ErrInvalidPath,
			"%s is single-valued: a [filter] selects values of multi-valued "+
				"attributes only", top.Name)
	}

	c := s.container(p.Attr.URN, kind != Remove)
	if c == nil {
		return nil // removing from an extension the resource does not have
	}
	before := c[top.Name]
	if top.Mutability == scim.Immutable {
		before = deepCopy(before)
	}

	switch {
	case p.Filter == nil && sub == nil:
		err = s.whole(kind, c, top, value)
	case !top.MultiValued:
		err = s.subOfSingle(kind, c, top, sub, value)
	default:
		err = s.selected(kind, c, top, p, sub, value)
	}
	if err != nil {
		return err
	}

	// RFC 7643 §2.2: an immutable attribute, once set, is not changed.
	if top.Mutability == scim.Immutable && before != nil && !equal(top, before, c[top.Name]) {
		return scim.BadRequest(scim.ErrMutability,
			"%s is immutable: it can be set once but not changed", top.Name)
	}
	s.prune(p.Attr.URN)
	return nil
}

// pathName names an attribute or sub-attribute for error details.
func pathName(top, sub *scim.Attribute) string {
	if sub == nil {
		return top.Name
	}
	return top.Name + "." + sub.Name
}

// container returns the object that holds the attributes of schema urn: the
// document itself for the core schema, the extension's object otherwise,
// created when create is set. It returns nil when the extension object is
// absent and create is not set.
func (s *state) container(urn string, create bool) map[string]any {
	if isCore(s.rt, urn) {
		return s.doc
	}
	ext := s.rt.Extension(urn)
	if ext == nil {
		return nil
	}
	m, ok := s.doc[ext.ID].(map[string]any)
	if !ok {
		if !create {
			return nil
		}
		m = map[string]any{}
		s.doc[ext.ID] = m
	}
	return m
}

// prune drops the object of extension urn when no attribute is left in it.
func (s *state) prune(urn string) {
	if isCore(s.rt, urn) {
		return
	}
	if ext := s.rt.Extension(urn); ext != nil {
		if m, ok := s.doc[ext.ID].(map[string]any); ok && len(m) == 0 {
			delete(s.doc, ext.ID)
		}
	}
}
