package patch

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// MemberOpKind says what a MemberOp does to a group's membership.
type MemberOpKind string

// Member operation kinds. MemberRemove and MemberAdd carry Members,
// MemberReplace carries the complete new set (possibly empty),
// MemberRemoveAll carries nothing and MemberRemoveWhere carries Filter.
const (
	MemberAdd         MemberOpKind = "add"
	MemberRemove      MemberOpKind = "remove"
	MemberReplace     MemberOpKind = "replace"
	MemberRemoveAll   MemberOpKind = "remove_all"
	MemberRemoveWhere MemberOpKind = "remove_where"
)

// Member is one member of a group as a PATCH request names it. Value is the
// member resource's id and is never empty; Type is "User", "Group" or "".
type Member struct {
	Value   string
	Type    string
	Display string
}

// MemberOp is a change to a group's membership. A group's members are stored
// apart from its document, so Apply hands them over instead of applying them.
// For MemberRemoveWhere, Filter is a value filter over one member: its
// attribute paths name the sub-attributes value, type and display, with no
// URN, as in `members[type eq "Group"]`.
type MemberOp struct {
	Op      MemberOpKind
	Members []Member
	Filter  filter.Expr
}

// isMembers reports whether p targets the members of a resource type that
// has them (Group).
func isMembers(rt *scim.ResourceType, p filter.Path) bool {
	return isCore(rt, p.Attr.URN) && strings.EqualFold(p.Attr.Name, "members") &&
		rt.Schema.Attribute("members") != nil
}

// memberOp turns an operation on members into a MemberOp. It reports false
// when the operation changes nothing (adding an empty list).
func memberOp(kind Kind, p filter.Path, value any) (MemberOp, bool, error) {
	if p.Attr.Sub != "" || p.Sub != "" {
		return MemberOp{}, false, scim.BadRequest(scim.ErrInvalidPath,
			"members are added and removed whole; a path to one of their "+
				"sub-attributes cannot be patched")
	}
	if p.Filter != nil && kind != Remove {
		return MemberOp{}, false, scim.BadRequest(scim.ErrInvalidPath,
			"%s with a filtered members path is not supported: remove the members "+
				"with the filter, then add the new ones with the path \"members\"", kind)
	}

	switch kind {
	case Add:
		ms, err := decodeMembers(value)
		if err != nil || len(ms) == 0 {
			return MemberOp{}, false, err
		}
		return MemberOp{Op: MemberAdd, Members: ms}, true, nil

	case Replace:
		ms, err := decodeMembers(value)
		if err != nil {
			return MemberOp{}, false, err
		}
		if ms == nil {
			ms = []Member{}
		}
		return MemberOp{Op: MemberReplace, Members: ms}, true, nil
	}

	// Remove. Entra ID names the members to remove in the value; Okta puts
	// them in a filter; with neither, every member goes (RFC 7644 §3.5.2.2).
	if p.Filter != nil {
		if ids, ok := valueIDs(p.Filter); ok {
			return MemberOp{Op: MemberRemove, Members: idMembers(ids)}, true, nil
		}
		return MemberOp{Op: MemberRemoveWhere, Filter: p.Filter}, true, nil
	}
	if value == nil {
		return MemberOp{Op: MemberRemoveAll}, true, nil
	}
	ms, err := decodeMembers(value)
	if err != nil || len(ms) == 0 {
		return MemberOp{}, false, err
	}
	return MemberOp{Op: MemberRemove, Members: ms}, true, nil
}

// decodeMembers reads a list of members, or a single member object, from a
// PATCH value. Duplicates (by value) are dropped, the first one kept.
func decodeMembers(v any) ([]Member, error) {
	var list []any
	switch v := v.(type) {
	case nil:
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			"members need a value: a list of objects such as [{\"value\": \"<id>\"}]")
	case []any:
		list = v
	case map[string]any:
		list = []any{v}
	default:
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			"members must be a list of objects such as [{\"value\": \"<id>\"}], not %s",
			scim.KindOf(v))
	}

	var ms []Member
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		m, err := decodeMember(e)
		if err != nil {
			return nil, prefixed(fmt.Sprintf("members[%d]", i), err)
		}
		if !seen[m.Value] {
			seen[m.Value] = true
			ms = append(ms, m)
		}
	}
	return ms, nil
}

func decodeMember(v any) (Member, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Member{}, scim.BadRequest(scim.ErrInvalidValue,
			"a member must be an object such as {\"value\": \"<id>\"}, not %s", scim.KindOf(v))
	}

	var m Member
	for k, val := range obj {
		// Entra ID sends "$ref": null, and null means absent (RFC 7643 §2.5).
		// The server builds references itself, so a client's "$ref" is
		// ignored, and so are unknown keys, as POST and PUT ignore them.
		name := strings.ToLower(k)
		if val == nil || (name != "value" && name != "display" && name != "type") {
			continue
		}
		s, isString := val.(string)
		if !isString {
			return Member{}, scim.BadRequest(scim.ErrInvalidValue,
				"member attribute %q must be a string, not %s", k, scim.KindOf(val))
		}
		switch name {
		case "value":
			m.Value = s
		case "display":
			m.Display = s
		case "type":
			if m.Type = memberType(s); m.Type == "" {
				return Member{}, scim.BadRequest(scim.ErrInvalidValue,
					"member type %q is not \"User\" or \"Group\"", s)
			}
		}
	}
	if strings.TrimSpace(m.Value) == "" {
		return Member{}, scim.BadRequest(scim.ErrInvalidValue,
			"a member needs a \"value\" holding the id of the user or group")
	}
	return m, nil
}

// memberType returns the canonical spelling of a member type, or "".
func memberType(s string) string {
	switch {
	case strings.EqualFold(s, "User"):
		return "User"
	case strings.EqualFold(s, "Group"):
		return "Group"
	}
	return ""
}

// valueIDs returns the ids named by a filter made only of `value eq "id"`
// clauses joined by or, as Okta and others send to remove members.
func valueIDs(e filter.Expr) ([]string, bool) {
	switch e := e.(type) {
	case *filter.Compare:
		id, ok := e.Value.(string)
		if e.Op != filter.Eq || !ok || e.Attr.URN != "" || e.Attr.Sub != "" ||
			!strings.EqualFold(e.Attr.Name, "value") {
			return nil, false
		}
		return []string{id}, true
	case *filter.Or:
		left, ok := valueIDs(e.Left)
		if !ok {
			return nil, false
		}
		right, ok := valueIDs(e.Right)
		if !ok {
			return nil, false
		}
		return append(left, right...), true
	}
	return nil, false
}

// idMembers returns one Member per distinct id.
func idMembers(ids []string) []Member {
	ms := make([]Member, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			ms = append(ms, Member{Value: id})
		}
	}
	return ms
}
