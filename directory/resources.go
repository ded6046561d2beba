package directory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"

	"github.com/google/uuid"

	"github.com/scimd/scimd/scim"
)

// Actor is who makes a change: the account it acts in and the client named
// in the events it causes ("Okta", "Entra ID", "console", "api").
type Actor struct {
	AccountID string
	Client    string
}

// View is a resource with the attributes computed from the membership
// table: a user's groups, or a group's members (nil when not loaded).
type View struct {
	*Resource
	Groups  []GroupRef
	Members []Member
}

// ResourceType returns the SCIM resource type of kind.
func ResourceType(kind Kind) *scim.ResourceType {
	if kind == KindGroup {
		return scim.GroupResourceType
	}
	return scim.UserResourceType
}

// Create stores a new user or group from a client's document.
func (s *Service) Create(ctx context.Context, actor Actor, kind Kind,
	doc map[string]any) (*View, error) {
	rt := ResourceType(kind)
	members, _, doc, err := splitMembers(kind, doc)
	if err != nil {
		return nil, err
	}
	doc, err = s.normalize(rt, doc, true)
	if err != nil {
		return nil, err
	}

	now := s.now()
	r := &Resource{
		AccountID: actor.AccountID,
		Kind:      kind,
		ID:        uuid.NewString(),
		Version:   1,
		Created:   now,
		Modified:  now,
	}
	setDoc(r, doc)

	var added []Member
	err = s.store.Write(ctx, actor.AccountID, func(tx Tx) error {
		if err := tx.Insert(r); err != nil {
			return uniqueness(r, err)
		}
		events := []*Event{s.event(actor, r, createdType(kind), nil)}
		if len(members) > 0 {
			var err error
			added, err = s.addMembers(tx, r.ID, members)
			if err != nil {
				return err
			}
			events = append(events, s.memberEvents(actor, r, added, EventGroupMemberAdded)...)
		}
		return tx.Append(events...)
	})
	if err != nil {
		return nil, err
	}
	return s.committed(ctx, r, true, added)
}

// committed returns the view of a resource a write has just committed. The
// write stands whatever happens next, so when the database fails before the
// view is read back (PostgreSQL shutting down between the commit and the
// read), the view is built from the resource as written, with the members
// the write knows and a user's groups left out, rather than answered with
// an error that would tell the client to retry a change that is done.
func (s *Service) committed(ctx context.Context, r *Resource, withMembers bool,
	members []Member) (*View, error) {
	v, err := s.Get(ctx, r.AccountID, r.Kind, r.ID, withMembers)
	if err == nil || !errors.Is(err, ErrUnavailable) {
		return v, err
	}
	s.log.Warn("read back after commit failed; answering from the write",
		"account_id", r.AccountID, "kind", r.Kind, "id", r.ID, "error", err)
	v = &View{Resource: r}
	if withMembers && r.Kind == KindGroup {
		v.Members = members
	}
	return v, nil
}

// Replace overwrites a resource with a client's document (PUT). A group's
// members are replaced by difference: only memberships that change are
// touched and get events.
func (s *Service) Replace(ctx context.Context, actor Actor, kind Kind, id string,
	doc map[string]any, ifMatch Version) (*View, error) {
	rt := ResourceType(kind)
	members, hasMembers, doc, err := splitMembers(kind, doc)
	if err != nil {
		return nil, err
	}
	doc, err = s.normalize(rt, doc, true)
	if err != nil {
		return nil, err
	}

	var written *Resource
	err = s.store.Write(ctx, actor.AccountID, func(tx Tx) error {
		old, err := s.current(tx, kind, id, ifMatch)
		if err != nil {
			return err
		}
		var ops []memberOp
		if kind == KindGroup && hasMembers {
			ops = []memberOp{{kind: opReplace, members: members}}
		}
		written, err = s.update(tx, actor, old, doc, ops)
		return err
	})
	if err != nil {
		return nil, err
	}
	// A PUT with members leaves exactly those; without, they are unknown here.
	if !hasMembers {
		members = nil
	}
	return s.committed(ctx, written, kind == KindGroup, members)
}

// Delete removes a resource and every membership it takes part in.
func (s *Service) Delete(ctx context.Context, actor Actor, kind Kind, id string,
	ifMatch Version) error {
	return s.store.Write(ctx, actor.AccountID, func(tx Tx) error {
		old, err := s.current(tx, kind, id, ifMatch)
		if err != nil {
			return err
		}
		if err := tx.Delete(kind, id); err != nil {
			return fmt.Errorf("delete %s %q: %w", kind, id, err)
		}
		return tx.Append(s.event(actor, old, deletedType(kind), nil))
	})
}

// current reads a resource for a write and checks the client's precondition.
func (s *Service) current(tx Tx, kind Kind, id string, ifMatch Version) (*Resource, error) {
	r, err := tx.Resource(kind, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(kind, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", kind, id, err)
	}
	if ifMatch != AnyVersion && ifMatch != r.Version {
		return nil, scim.PreconditionFailed(
			"%s %q is at version %s, not %s: read it again and retry",
			kind, id, ETag(r.Version), ETag(ifMatch))
	}
	return r, nil
}

// update writes a new document and membership changes over old, with their
// events, or does nothing when nothing changes. It returns the resource as
// stored: the new one, or old when nothing changed.
func (s *Service) update(tx Tx, actor Actor, old *Resource, doc map[string]any,
	ops []memberOp) (*Resource, error) {
	// A user's "active" is never unassigned. A new user without it is
	// active, but a PUT that leaves it out, or a PATCH that removes it,
	// keeps the current state: RFC 7644 §3.5.1 lets a server take an
	// omitted attribute as not asserted, and reading it as true would
	// silently reactivate a deactivated account. doc is copied, since fn
	// may run again.
	if _, ok := doc["active"]; old.Kind == KindUser && !ok {
		doc = maps.Clone(doc)
		doc["active"] = old.Active
	}
	next := *old
	setDoc(&next, doc)
	changed := changedAttributes(old.Doc, next.Doc)

	var added, removed []Member
	for _, op := range ops {
		a, r, err := s.applyMemberOp(tx, old.ID, op)
		if err != nil {
			return nil, err
		}
		added = append(added, a...)
		removed = append(removed, r...)
	}
	if len(changed) == 0 && len(added) == 0 && len(removed) == 0 {
		return old, nil
	}

	next.Version = old.Version + 1
	next.Modified = s.now()
	if err := tx.Update(&next, old.Version); err != nil {
		return nil, uniqueness(&next, err)
	}
	events := s.updateEvents(actor, old, &next, changed)
	events = append(events, s.memberEvents(actor, &next, added, EventGroupMemberAdded)...)
	events = append(events, s.memberEvents(actor, &next, removed, EventGroupMemberRemove)...)
	if err := tx.Append(events...); err != nil {
		return nil, err
	}
	return &next, nil
}

// updateEvents names what an update did to a resource: deactivation and
// reactivation get events of their own, other changes a user.updated or
// group.updated with the changed attribute names.
func (s *Service) updateEvents(actor Actor, old, next *Resource, changed []string) []*Event {
	var events []*Event
	rest := changed
	if old.Kind == KindUser && old.Active != next.Active {
		typ := EventUserDeactivated
		if next.Active {
			typ = EventUserReactivated
		}
		events = append(events, s.event(actor, next, typ, []string{"active"}))
		rest = without(changed, "active")
	}
	if len(rest) > 0 {
		typ := EventUserUpdated
		if old.Kind == KindGroup {
			typ = EventGroupUpdated
		}
		events = append(events, s.event(actor, next, typ, rest))
	}
	return events
}

// normalize validates a document; withSchemas also checks its schemas
// attribute, which a client's document has and a patched stored one lacks.
func (s *Service) normalize(rt *scim.ResourceType, doc map[string]any,
	withSchemas bool) (map[string]any, error) {
	normalize := scim.NormalizeAttributes
	if withSchemas {
		normalize = scim.Normalize
	}
	out, unknown, err := normalize(rt, doc)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		s.log.Debug("ignored unknown attributes", "resource_type", rt.Name, "attributes", unknown)
	}

	// scimd provisions accounts for single sign-on and never authenticates
	// anyone by password, so a password a client sends is accepted and
	// dropped rather than kept.
	delete(out, "password")
	if err := checkLookupSizes(Kind(rt.ID), out); err != nil {
		return nil, err
	}
	return out, nil
}

// setDoc stores doc in r and derives the lookup columns from it.
func setDoc(r *Resource, doc map[string]any) {
	r.Doc = doc
	r.ExternalID, _ = doc["externalId"].(string)
	r.DisplayName, _ = doc["displayName"].(string)
	if r.Kind != KindUser {
		r.Active = true
		return
	}
	r.UserName, _ = doc["userName"].(string)
	if _, ok := doc["active"]; !ok {
		doc["active"] = true
	}
	r.Active, _ = doc["active"].(bool)
	r.Email = primaryEmail(doc)
}

// primaryEmail returns the email marked primary, else the first one.
func primaryEmail(doc map[string]any) string {
	emails, _ := doc["emails"].([]any)
	first := ""
	for _, e := range emails {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if p, _ := m["primary"].(bool); p {
			return v
		}
		if first == "" {
			first = v
		}
	}
	return first
}

// changedAttributes returns the sorted top-level names whose values differ.
func changedAttributes(old, next map[string]any) []string {
	var names []string
	for k, v := range next {
		if ov, ok := old[k]; !ok || !reflect.DeepEqual(ov, v) {
			names = append(names, k)
		}
	}
	for k := range old {
		if _, ok := next[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

func without(names []string, drop string) []string {
	var out []string
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

func uniqueness(r *Resource, err error) error {
	if !errors.Is(err, ErrConflict) {
		return err
	}
	if r.Kind == KindUser {
		return scim.Conflict("userName %q is already taken in this account", r.UserName)
	}
	return scim.Conflict("group %q conflicts with an existing group", r.DisplayName)
}

func notFound(kind Kind, id string) error {
	return scim.NotFound("%s %q not found", kind, id)
}

func createdType(kind Kind) string {
	if kind == KindGroup {
		return EventGroupCreated
	}
	return EventUserCreated
}

func deletedType(kind Kind) string {
	if kind == KindGroup {
		return EventGroupDeleted
	}
	return EventUserDeleted
}
