package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

func testMembers(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	ann := user(map[string]any{"userName": "ann", "displayName": "Ann A"}, base)
	bob := user(map[string]any{"userName": "bob"}, base)
	team := group("Team", base, nil)
	all := group("All", base, nil)
	insert(t, s, a.ID, ann, bob, team, all)

	added := addMembers(t, s, a.ID, team.ID, userRef(ann), userRef(ann), userRef(bob))
	if !equal(memberIDs(added), sorted(ann.ID, bob.ID)) {
		t.Errorf("first add: got %v, want ann and bob once each", memberIDs(added))
	}
	added = addMembers(t, s, a.ID, team.ID, userRef(bob))
	if len(added) != 0 {
		t.Errorf("adding a member again reported %v as added", memberIDs(added))
	}
	added = addMembers(t, s, a.ID, all.ID, groupRef(team), userRef(bob))
	if len(added) != 2 || added[0].ID != team.ID || added[0].Kind != directory.KindGroup {
		t.Errorf("add to All: got %+v, want the team then bob", added)
	}

	got, err := s.Members(ctx(t), a.ID, all.ID, "", 0)
	wantErr(t, "read members", err, nil)
	want := []directory.Member{userRef(bob), groupRef(team)}
	slices.SortFunc(want, func(x, y directory.Member) int { return cmp(x.ID, y.ID) })
	if !slices.Equal(got, want) {
		t.Errorf("Members: got %+v, want %+v (ordered by id, userName or displayName)",
			got, want)
	}

	err = s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		_, err := tx.AddMembers(uuid.NewString(), []directory.Member{userRef(ann)})
		wantErr(t, "add to a missing group", err, directory.ErrNotFound)

		removed, err := tx.RemoveMembers(team.ID, []string{bob.ID, uuid.NewString(), bob.ID})
		if err != nil {
			return err
		}
		if len(removed) != 1 || removed[0] != userRef(bob) {
			t.Errorf("RemoveMembers: got %+v, want bob with his userName", removed)
		}
		removed, err = tx.RemoveMembers(team.ID, []string{bob.ID})
		if err == nil && len(removed) != 0 {
			t.Errorf("removing a former member again reported %+v", removed)
		}
		return err
	})
	wantErr(t, "remove members", err, nil)
	checkMembers(t, s, a.ID, team.ID, ann.ID)
	checkMembers(t, s, a.ID, all.ID, bob.ID, team.ID)
	checkMembers(t, s, a.ID, uuid.NewString())
}

func cmp(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testMembersPaging(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	g := group("big", base, nil)
	users := make([]*directory.Resource, 23)
	refs := make([]directory.Member, len(users))
	for i := range users {
		users[i] = user(map[string]any{"userName": fmt.Sprintf("user%02d", i)}, base)
		refs[i] = userRef(users[i])
	}
	insert(t, s, a.ID, append([]*directory.Resource{g}, users...)...)
	addMembers(t, s, a.ID, g.ID, refs...)

	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging through members does not end")
		}
		page, err := s.Members(ctx(t), a.ID, g.ID, after, 5)
		wantErr(t, "read members page", err, nil)
		if len(page) > 5 {
			t.Fatalf("page of %d members, limit 5", len(page))
		}
		for _, m := range page {
			if m.ID <= after {
				t.Fatalf("member %s after cursor %s is out of order", m.ID, after)
			}
			seen = append(seen, m.ID)
			after = m.ID
		}
		if len(page) < 5 {
			break
		}
	}
	if !equal(seen, memberIDs(refs)) {
		t.Errorf("paged members: got %d, want each of %d once", len(seen), len(refs))
	}
}

func testMissing(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	u := user(map[string]any{"userName": "u"}, base)
	g := group("g", base, nil)
	insert(t, s, a.ID, u, g)
	ghost := uuid.NewString()
	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		missing, err := tx.Missing(directory.KindUser, []string{u.ID, ghost, g.ID, ghost})
		if err != nil {
			return err
		}
		if !equal(missing, []string{ghost, g.ID}) {
			t.Errorf("Missing users: got %v, want the unknown id then the group's", missing)
		}
		missing, err = tx.Missing(directory.KindGroup, []string{g.ID})
		if err == nil && len(missing) != 0 {
			t.Errorf("Missing groups: got %v, want none", missing)
		}
		return err
	})
	wantErr(t, "find missing ids", err, nil)
}

func testGroupsOf(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	ann := user(map[string]any{"userName": "ann"}, base)
	bob := user(map[string]any{"userName": "bob"}, base)
	lone := user(map[string]any{"userName": "lone"}, base)
	zeta := group("zeta", base, nil)
	alpha := group("Alpha", base.Add(time.Hour), nil)
	parent := group("parent", base, nil)
	insert(t, s, a.ID, ann, bob, lone, zeta, alpha, parent)
	addMembers(t, s, a.ID, zeta.ID, userRef(ann), userRef(bob))
	addMembers(t, s, a.ID, alpha.ID, userRef(ann))
	addMembers(t, s, a.ID, parent.ID, groupRef(zeta))

	got, err := s.GroupsOf(ctx(t), a.ID, []string{ann.ID, bob.ID, lone.ID, uuid.NewString()})
	wantErr(t, "read groups of users", err, nil)
	wantAnn := []directory.GroupRef{{ID: alpha.ID, DisplayName: "Alpha"},
		{ID: zeta.ID, DisplayName: "zeta"}}
	byID := func(x, y directory.GroupRef) int { return cmp(x.ID, y.ID) }
	slices.SortFunc(wantAnn, byID)
	slices.SortFunc(got[ann.ID], byID)
	if !slices.Equal(got[ann.ID], wantAnn) {
		t.Errorf("groups of ann: got %+v, want %+v (direct only)", got[ann.ID], wantAnn)
	}
	if len(got[bob.ID]) != 1 || got[bob.ID][0].ID != zeta.ID {
		t.Errorf("groups of bob: got %+v, want zeta", got[bob.ID])
	}
	if len(got[lone.ID]) != 0 {
		t.Errorf("groups of a user in none: got %+v", got[lone.ID])
	}
}
