package directory

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/scim"
)

type memberOpKind int

const (
	opAdd memberOpKind = iota
	opRemove
	opReplace
)

// memberOp is one change to a group's membership. Groups keep members in
// their own table, so a change touches the rows it names and never the whole
// member list, unless it replaces the list.
type memberOp struct {
	kind    memberOpKind
	members []Member
}

// maxMembersPerRequest bounds how many member references one request may
// carry, so a single request cannot hold the account's write lock for long.
const maxMembersPerRequest = 100_000

// splitMembers takes a group's members out of a client's document: they are
// stored in the membership table, not in the document. present reports
// whether the document named members at all, which for PUT decides whether
// the member list is replaced.
func splitMembers(kind Kind, doc map[string]any) (members []Member, present bool,
	rest map[string]any, err error) {
	rest = make(map[string]any, len(doc))
	var raw any
	for k, v := range doc {
		if strings.EqualFold(k, "members") {
			raw, present = v, true
			continue
		}
		rest[k] = v
	}
	if !present || kind != KindGroup {
		return nil, present, rest, nil
	}
	members, err = ParseMembers(raw)
	return members, present, rest, err
}

// ParseMembers reads a members value: an array of objects with a value and
// optional type, display and $ref (null allowed, as Entra ID sends it). A
// single object is read as an array of one. null reads as no members.
func ParseMembers(raw any) ([]Member, error) {
	var items []any
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case []any:
		items = v
	case map[string]any:
		items = []any{v}
	default:
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			`"members" must be an array of objects with a "value", got %T`, raw)
	}
	if len(items) > maxMembersPerRequest {
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			"%d members in one request; at most %d are accepted", len(items), maxMembersPerRequest)
	}

	seen := make(map[string]bool, len(items))
	members := make([]Member, 0, len(items))
	for i, item := range items {
		m, err := parseMember(item)
		if err != nil {
			return nil, scim.BadRequest(scim.ErrInvalidValue, "members[%d]: %s", i, err.Error())
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		members = append(members, m)
	}
	return members, nil
}

func parseMember(item any) (Member, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Member{}, fmt.Errorf(`a member must be an object with a "value", got %T`, item)
	}
	var m Member
	for k, v := range obj {
		s, isString := v.(string)
		switch {
		case strings.EqualFold(k, "value"):
			if !isString || s == "" {
				return Member{}, fmt.Errorf(`"value" must be the member's id as a string`)
			}
			m.ID = s
		case strings.EqualFold(k, "type") && v != nil:
			switch {
			case isString && strings.EqualFold(s, "User"):
				m.Kind = KindUser
			case isString && strings.EqualFold(s, "Group"):
				m.Kind = KindGroup
			default:
				return Member{}, fmt.Errorf(`"type" must be "User" or "Group", got %v`, v)
			}
		case strings.EqualFold(k, "display"):
			m.Display = s
		}
	}
	if m.ID == "" {
		return Member{}, fmt.Errorf(`a member needs a "value" holding the member's id`)
	}
	return m, nil
}

// resolveMembers checks that every member exists in the account and fills in
// its kind. Members of unstated type are looked for among users, then among
// groups.
func resolveMembers(tx Tx, groupID string, members []Member) ([]Member, error) {
	var users, groups []string
	for _, m := range members {
		if m.ID == groupID {
			return nil, scim.BadRequest(scim.ErrInvalidValue,
				"group %q cannot be a member of itself", groupID)
		}
		if m.Kind == KindGroup {
			groups = append(groups, m.ID)
		} else {
			users = append(users, m.ID)
		}
	}
	notUsers, err := tx.Missing(KindUser, users)
	if err != nil {
		return nil, fmt.Errorf("check member users: %w", err)
	}
	isGroup := make(map[string]bool)
	for _, id := range notUsers {
		isGroup[id] = true
	}
	missing, err := tx.Missing(KindGroup, append(groups, notUsers...))
	if err != nil {
		return nil, fmt.Errorf("check member groups: %w", err)
	}
	if len(missing) > 0 {
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			"no user or group with id %s exists in this account; nothing was changed",
			quoteList(missing))
	}

	out := make([]Member, len(members))
	for i, m := range members {
		if isGroup[m.ID] {
			m.Kind = KindGroup
		} else if m.Kind == "" {
			m.Kind = KindUser
		}
		out[i] = m
	}
	return out, nil
}

func (s *Service) addMembers(tx Tx, groupID string, members []Member) ([]Member, error) {
	members, err := resolveMembers(tx, groupID, members)
	if err != nil {
		return nil, err
	}
	added, err := tx.AddMembers(groupID, members)
	if err != nil {
		return nil, fmt.Errorf("add members to group %q: %w", groupID, err)
	}
	return added, nil
}

// applyMemberOp carries out one membership change and returns the members it
// really added and removed.
func (s *Service) applyMemberOp(tx Tx, groupID string,
	op memberOp) (added, removed []Member, err error) {
	switch op.kind {
	case opAdd:
		added, err = s.addMembers(tx, groupID, op.members)
		return added, nil, err
	case opRemove:
		removed, err = tx.RemoveMembers(groupID, memberIDs(op.members))
		if err != nil {
			return nil, nil, fmt.Errorf("remove members from group %q: %w", groupID, err)
		}
		return nil, removed, nil
	}

	// Replacing the list reads the current member ids once and changes only
	// what differs.
	current, err := tx.MemberIDs(groupID)
	if err != nil {
		return nil, nil, fmt.Errorf("read members of group %q: %w", groupID, err)
	}
	want := make(map[string]bool, len(op.members))
	for _, m := range op.members {
		want[m.ID] = true
	}
	var drop []string
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
		if !want[id] {
			drop = append(drop, id)
		}
	}
	var add []Member
	for _, m := range op.members {
		if !have[m.ID] {
			add = append(add, m)
		}
	}
	if len(add) > 0 {
		if added, err = s.addMembers(tx, groupID, add); err != nil {
			return nil, nil, err
		}
	}
	if len(drop) > 0 {
		if removed, err = tx.RemoveMembers(groupID, drop); err != nil {
			return nil, nil, fmt.Errorf("remove members from group %q: %w", groupID, err)
		}
	}
	return added, removed, nil
}

func memberIDs(members []Member) []string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return ids
}

func quoteList(ids []string) string {
	const show = 10
	q := make([]string, 0, show)
	for i, id := range ids {
		if i == show {
			q = append(q, fmt.Sprintf("and %d more", len(ids)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", id))
	}
	return strings.Join(q, ", ")
}
