package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

func testInsert(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	u := user(map[string]any{
		"userName":   "Ann@Example.com",
		"externalId": "00u1",
		"name":       map[string]any{"givenName": "Ann", "familyName": "Smith"},
		"emails": []any{
			map[string]any{"value": "ann@example.com", "type": "work", "primary": true},
		},
		"active":  false,
		"x-score": json.Number("12.50"),
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"employeeNumber": "7", "manager": map[string]any{"value": "m1"},
		},
		"note": "<b> & </b>",
	}, base.Add(123456789*time.Nanosecond))
	g := group("Admins", base, map[string]any{"externalId": "g1"})
	insert(t, s, a.ID, u, g)

	for _, want := range []*directory.Resource{u, g} {
		if want.AccountID != a.ID {
			t.Errorf("Insert left AccountID %q, want %q", want.AccountID, a.ID)
		}
		got, err := s.Resource(ctx(t), a.ID, want.Kind, want.ID)
		wantErr(t, "read "+string(want.Kind), err, nil)
		checkResource(t, got, want)

		// The same read inside a transaction.
		err = s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
			got, err := tx.Resource(want.Kind, want.ID)
			if err == nil {
				checkResource(t, got, want)
			}
			return err
		})
		wantErr(t, "read in a transaction", err, nil)
	}
	if n, ok := mustGet(t, s, a.ID, u).Doc["x-score"].(json.Number); !ok || n != "12.50" {
		t.Errorf("a stored number came back as %T %v, want json.Number 12.50", n, n)
	}

	_, err := s.Resource(ctx(t), a.ID, directory.KindGroup, u.ID)
	wantErr(t, "read a user as a group", err, directory.ErrNotFound)
	_, err = s.Resource(ctx(t), a.ID, directory.KindUser, uuid.NewString())
	wantErr(t, "read unknown user", err, directory.ErrNotFound)
}

func mustGet(t *testing.T, s directory.Store, accountID string,
	r *directory.Resource) *directory.Resource {
	t.Helper()
	got, err := s.Resource(ctx(t), accountID, r.Kind, r.ID)
	if err != nil {
		t.Fatalf("read %s %s: %v", r.Kind, r.ID, err)
	}
	return got
}

func testInsertConflicts(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	b := newAccount(t, s, "b")
	first := user(map[string]any{"userName": "bob@example.com"}, base)
	insert(t, s, a.ID, first)

	// A taken userName in any case, or a taken id, conflicts; the
	// transaction goes on after a conflict and commits what else it did.
	later := user(map[string]any{"userName": "later"}, base)
	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		err := tx.Insert(user(map[string]any{"userName": "BOB@example.COM"}, base))
		wantErr(t, "insert a taken userName in another case", err, directory.ErrConflict)
		same := user(map[string]any{"userName": "other"}, base)
		same.ID = first.ID
		wantErr(t, "insert a taken id", tx.Insert(same), directory.ErrConflict)
		return tx.Insert(later)
	})
	wantErr(t, "write after conflicts", err, nil)
	mustGet(t, s, a.ID, later)

	// Names are unique per account only.
	insert(t, s, b.ID, user(map[string]any{"userName": "Bob@Example.com"}, base))
}

func testUpdate(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	u := user(map[string]any{"userName": "ann", "emails": []any{
		map[string]any{"value": "old@example.com"}}}, base)
	other := user(map[string]any{"userName": "zed"}, base)
	g := group("Staff", base, nil)
	insert(t, s, a.ID, u, other, g)

	next := *u
	next.Doc = map[string]any{"userName": "Ann", "displayName": "Ann A", "emails": []any{
		map[string]any{"value": "new@example.com", "primary": true}}, "active": false}
	derive(&next)
	next.Version, next.Modified = 2, base.Add(time.Hour)
	next.Created = base.Add(99 * time.Hour) // ignored: creation stays as stored

	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		wantErr(t, "update at the wrong version", tx.Update(&next, 7),
			directory.ErrVersionMismatch)
		ghost := next
		ghost.ID = uuid.NewString()
		wantErr(t, "update a missing user", tx.Update(&ghost, 1), directory.ErrNotFound)
		taken := next
		taken.Doc = map[string]any{"userName": "ZED"}
		derive(&taken)
		wantErr(t, "update to a taken userName", tx.Update(&taken, 1), directory.ErrConflict)
		return tx.Update(&next, 1)
	})
	wantErr(t, "update", err, nil)
	want := next
	want.Created = base
	checkResource(t, mustGet(t, s, a.ID, u), &want)
	if !next.Created.Equal(base) {
		t.Errorf("Update left Created at %v, want the stored %v", next.Created, base)
	}

	// The email lookup follows the document.
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`emails.value eq "new@example.com"`, []string{u.ID}},
		{`emails.value eq "old@example.com"`, nil},
	} {
		got := list(t, s, a.ID, directory.KindUser, tc.filter)
		if !equal(ids(got), tc.want) {
			t.Errorf("%s after update: got %d users, want %d", tc.filter, len(got), len(tc.want))
		}
	}

	ng := *g
	ng.Doc = map[string]any{"displayName": "Everyone", "externalId": "e1"}
	derive(&ng)
	ng.Version = 2
	err = s.Write(ctx(t), a.ID, func(tx directory.Tx) error { return tx.Update(&ng, 1) })
	wantErr(t, "update group", err, nil)
	checkResource(t, mustGet(t, s, a.ID, g), &ng)
	if got := list(t, s, a.ID, directory.KindGroup, `displayName eq "everyone"`); len(got) != 1 {
		t.Errorf("renamed group found %d times by its new name, want once", len(got))
	}
}

var errAbort = errors.New("abort")

func testRollback(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	g := group("g", base, nil)
	insert(t, s, a.ID, g)
	u := user(map[string]any{"userName": "u"}, base)
	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		if err := tx.Insert(u); err != nil {
			return err
		}
		if _, err := tx.AddMembers(g.ID, []directory.Member{userRef(u)}); err != nil {
			return err
		}
		if err := tx.Append(event(u, directory.EventUserCreated)); err != nil {
			return err
		}
		return errAbort
	})
	wantErr(t, "aborted write", err, errAbort)
	_, err = s.Resource(ctx(t), a.ID, directory.KindUser, u.ID)
	wantErr(t, "read rolled-back user", err, directory.ErrNotFound)
	if ms, _ := s.Members(ctx(t), a.ID, g.ID, "", 0); len(ms) != 0 {
		t.Errorf("rolled-back membership persisted: %v", ms)
	}
	if es, _ := s.Events(ctx(t), a.ID, 0, 10); len(es) != 0 {
		t.Errorf("rolled-back event persisted: %v", es)
	}
}

func testDelete(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	u := user(map[string]any{"userName": "u", "emails": []any{
		map[string]any{"value": "u@example.com"}}}, base)
	keep := user(map[string]any{"userName": "keep"}, base)
	inner := group("inner", base, nil)
	outer := group("outer", base, nil)
	insert(t, s, a.ID, u, keep, inner, outer)
	addMembers(t, s, a.ID, inner.ID, userRef(u), userRef(keep))
	addMembers(t, s, a.ID, outer.ID, userRef(u), groupRef(inner))

	err := s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		wantErr(t, "delete a missing user", tx.Delete(directory.KindUser, uuid.NewString()),
			directory.ErrNotFound)
		wantErr(t, "delete a group as a user", tx.Delete(directory.KindUser, inner.ID),
			directory.ErrNotFound)
		return tx.Delete(directory.KindUser, u.ID)
	})
	wantErr(t, "delete user", err, nil)
	_, err = s.Resource(ctx(t), a.ID, directory.KindUser, u.ID)
	wantErr(t, "read deleted user", err, directory.ErrNotFound)
	checkMembers(t, s, a.ID, inner.ID, keep.ID)
	checkMembers(t, s, a.ID, outer.ID, inner.ID)
	found := list(t, s, a.ID, directory.KindUser, `emails.value eq "u@example.com"`)
	if len(found) != 0 {
		t.Error("a deleted user is still found by email")
	}

	// A deleted group leaves the groups it was in, and its own members go.
	err = s.Write(ctx(t), a.ID, func(tx directory.Tx) error {
		return tx.Delete(directory.KindGroup, inner.ID)
	})
	wantErr(t, "delete group", err, nil)
	checkMembers(t, s, a.ID, outer.ID)
	checkMembers(t, s, a.ID, inner.ID)
	groups, err := s.GroupsOf(ctx(t), a.ID, []string{keep.ID})
	wantErr(t, "read groups of user", err, nil)
	if len(groups[keep.ID]) != 0 {
		t.Errorf("user still in %d groups after its group was deleted", len(groups[keep.ID]))
	}
	mustGet(t, s, a.ID, keep)
}

// checkMembers fails t unless the group's members are exactly want.
func checkMembers(t *testing.T, s directory.Store, accountID, groupID string, want ...string) {
	t.Helper()
	got, err := s.Members(ctx(t), accountID, groupID, "", 0)
	wantErr(t, "read members", err, nil)
	if !equal(memberIDs(got), sorted(want...)) {
		t.Errorf("members of %s: got %v, want %v", groupID, memberIDs(got), sorted(want...))
	}
	err = s.Write(ctx(t), accountID, func(tx directory.Tx) error {
		ids, err := tx.MemberIDs(groupID)
		if err == nil && !equal(ids, sorted(want...)) {
			t.Errorf("MemberIDs of %s: got %v, want %v", groupID, ids, sorted(want...))
		}
		return err
	})
	wantErr(t, "read member ids", err, nil)
}
