package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/scimd/scimd/scim"
)

// Get returns one resource. withMembers loads a group's members, which a
// caller skips when the client excluded them.
func (s *Service) Get(ctx context.Context, accountID string, kind Kind, id string,
	withMembers bool) (*View, error) {
	r, err := s.store.Resource(ctx, accountID, kind, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(kind, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, err)
	}
	views, err := s.expand(ctx, []*Resource{r}, withMembers, 0)
	if err != nil {
		return nil, err
	}
	return views[0], nil
}

// ListResult is one page of views and the total the query selects.
type ListResult struct {
	Total int
	Views []*View
}

// List returns the page of resources that q selects, with users' groups and,
// when withMembers is set, groups' members. A page whose groups have more
// members between them than the service's bound (DefaultMaxListMembers
// unless WithMaxListMembers says otherwise) is refused with a 400 tooMany
// *scim.Error, before they are all read: one request must not hold a
// shared server's memory.
func (s *Service) List(ctx context.Context, accountID string, kind Kind, q Query,
	withMembers bool) (*ListResult, error) {
	page, err := s.store.List(ctx, accountID, kind, q)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	views, err := s.expand(ctx, page.Resources, withMembers, s.maxListMembers)
	if err != nil {
		return nil, err
	}
	return &ListResult{Total: page.Total, Views: views}, nil
}

// expand adds the computed attributes: one query for the groups of all users
// on a page, one query per group for members. maxMembers > 0 bounds the
// members of all the groups together.
func (s *Service) expand(ctx context.Context, rs []*Resource, withMembers bool,
	maxMembers int) ([]*View, error) {
	views := make([]*View, len(rs))
	var userIDs []string
	for i, r := range rs {
		views[i] = &View{Resource: r}
		if r.Kind == KindUser {
			userIDs = append(userIDs, r.ID)
		}
	}
	if len(userIDs) > 0 {
		groups, err := s.store.GroupsOf(ctx, rs[0].AccountID, userIDs)
		if err != nil {
			return nil, fmt.Errorf("read groups of users: %w", err)
		}
		for _, v := range views {
			v.Groups = groups[v.ID]
		}
	}
	if !withMembers {
		return views, nil
	}
	left := maxMembers
	for _, v := range views {
		if v.Kind != KindGroup {
			continue
		}
		members, err := s.allMembers(ctx, v.AccountID, v.ID, left)
		if err != nil {
			return nil, err
		}
		v.Members = members
		if maxMembers > 0 {
			left -= len(members)
			if left <= 0 {
				left = -1 // any further member is one too many
			}
		}
	}
	return views, nil
}

// memberPage is how many members one store call reads.
const memberPage = 5000

// allMembers reads a group's members. limit > 0 allows that many, and
// limit < 0 none; more is a 400 tooMany error.
func (s *Service) allMembers(ctx context.Context, accountID, groupID string,
	limit int) ([]Member, error) {
	members := []Member{}
	after := ""
	for {
		page, err := s.store.Members(ctx, accountID, groupID, after, memberPage)
		if err != nil {
			return nil, fmt.Errorf("read members of group %q: %w", groupID, err)
		}
		members = append(members, page...)
		if limit < 0 && len(members) > 0 || limit > 0 && len(members) > limit {
			return nil, scim.BadRequest(scim.ErrTooMany, "the groups of this page have "+
				"more than %d members between them; list groups with "+
				"excludedAttributes=members and read each group's members from the "+
				"group itself, or ask for fewer groups with count", s.maxListMembers)
		}
		if len(page) < memberPage {
			return members, nil
		}
		after = page[len(page)-1].ID
	}
}
