package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/scim/patch"
)

// Patch applies a PATCH request to a resource: every operation or none. The
// document changes are validated as a whole afterwards, like a PUT; member
// operations become row changes in the membership table, so adding one member
// to a large group costs one row.
func (s *Service) Patch(ctx context.Context, actor Actor, kind Kind, id string,
	req *patch.Request, ifMatch Version) (*View, error) {
	rt := ResourceType(kind)
	var written *Resource
	err := s.store.Write(ctx, actor.AccountID, func(tx Tx) error {
		old, err := s.current(tx, kind, id, ifMatch)
		if err != nil {
			return err
		}
		res, err := patch.Apply(rt, old.Doc, req.Operations)
		if err != nil {
			return err
		}
		doc, err := s.normalize(rt, res.Doc, false)
		if err != nil {
			return err
		}
		ops, err := s.memberOps(tx, id, res.Members)
		if err != nil {
			return err
		}
		written, err = s.update(tx, actor, old, doc, ops)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.committed(ctx, written, false, nil)
}

// memberOps turns the PATCH engine's member operations into row changes. A
// remove by a filter other than on member ids is matched against the members'
// ids and types, which is all the membership table holds.
func (s *Service) memberOps(tx Tx, groupID string, in []patch.MemberOp) ([]memberOp, error) {
	total := 0
	for _, op := range in {
		total += len(op.Members)
	}
	if total > maxMembersPerRequest {
		return nil, scim.BadRequest(scim.ErrInvalidValue,
			"%d member references in one request; at most %d are accepted", total, maxMembersPerRequest)
	}
	ops := make([]memberOp, 0, len(in))
	for _, op := range in {
		members := make([]Member, len(op.Members))
		for i, m := range op.Members {
			members[i] = Member{ID: m.Value, Display: m.Display}
			switch {
			case strings.EqualFold(m.Type, "Group"):
				members[i].Kind = KindGroup
			case strings.EqualFold(m.Type, "User"):
				members[i].Kind = KindUser
			}
		}
		switch op.Op {
		case patch.MemberAdd:
			ops = append(ops, memberOp{kind: opAdd, members: members})
		case patch.MemberRemove:
			ops = append(ops, memberOp{kind: opRemove, members: members})
		case patch.MemberReplace:
			ops = append(ops, memberOp{kind: opReplace, members: members})
		case patch.MemberRemoveAll:
			ops = append(ops, memberOp{kind: opReplace})
		case patch.MemberRemoveWhere:
			matched, err := matchMembers(tx, groupID, op.Filter)
			if err != nil {
				return nil, err
			}
			ops = append(ops, memberOp{kind: opRemove, members: matched})
		default:
			return nil, fmt.Errorf("unknown member operation %v", op.Op)
		}
	}
	return ops, nil
}

// matchMembers returns the members of a group that a value filter selects.
func matchMembers(tx Tx, groupID string, f filter.Expr) ([]Member, error) {
	ids, err := tx.MemberIDs(groupID)
	if err != nil {
		return nil, fmt.Errorf("read members of group %q: %w", groupID, err)
	}
	memberAttr := scim.GroupResourceType.Lookup("", "members", "")
	rt := &scim.ResourceType{
		Name:   "member",
		Schema: &scim.Schema{ID: "member", Attributes: memberAttr.SubAttributes},
	}
	var out []Member
	for _, id := range ids {
		if filter.Match(f, rt, map[string]any{"value": id}) {
			out = append(out, Member{ID: id})
		}
	}
	return out, nil
}
