package storetest

import (
	"testing"

	"github.com/scimd/scimd/directory"
)

// testIsolation checks that nothing of one account can be read or changed
// through another, even when both hold look-alike data.
func testIsolation(t *testing.T, s directory.Store) {
	a := newFixture(t, s, "a")
	b := newFixture(t, s, "b")
	aAlice, aEng := a.byLabel["alice"], a.byLabel["engineering"]
	bAlice, bEng := b.byLabel["alice"], b.byLabel["engineering"]
	appendOne(t, s, a.account, aAlice)

	// Reads by id, filter and list stay in their account.
	_, err := s.Resource(ctx(t), b.account, directory.KindUser, aAlice.ID)
	wantErr(t, "read a's user through b", err, directory.ErrNotFound)
	for _, kind := range []directory.Kind{directory.KindUser, directory.KindGroup} {
		for _, r := range list(t, s, b.account, kind, "") {
			if r.AccountID != b.account || a.labels[r.ID] != "" {
				t.Errorf("listing b's %ss returned %s of account %s", kind, r.ID, r.AccountID)
			}
		}
	}
	for _, f := range []string{
		a.ids.Replace(`id eq "{alice}"`),
		a.ids.Replace(`groups eq "{engineering}"`),
		`userName eq "alice@example.com"`,
	} {
		got := list(t, s, b.account, directory.KindUser, f)
		if len(got) > 1 || (len(got) == 1 && got[0].ID != bAlice.ID) {
			t.Errorf("%s in b: got %v, want at most b's alice", f, ids(got))
		}
	}
	if got := list(t, s, b.account, directory.KindGroup,
		a.ids.Replace(`members eq "{alice}"`)); len(got) != 0 {
		t.Errorf("b's groups matched a's member: %v", ids(got))
	}
	ms, err := s.Members(ctx(t), b.account, aEng.ID, "", 0)
	wantErr(t, "read a's group members through b", err, nil)
	if len(ms) != 0 {
		t.Errorf("b read %d members of a's group", len(ms))
	}
	groups, err := s.GroupsOf(ctx(t), b.account, []string{aAlice.ID})
	wantErr(t, "read groups of a's user through b", err, nil)
	if len(groups) != 0 {
		t.Errorf("b read the groups of a's user: %v", groups)
	}
	events, err := s.Events(ctx(t), b.account, 0, 100)
	wantErr(t, "read b's events", err, nil)
	if len(events) != 0 {
		t.Errorf("b read %d events of a", len(events))
	}

	// A transaction on b cannot reach a's ids.
	err = s.Write(ctx(t), b.account, func(tx directory.Tx) error {
		_, err := tx.Resource(directory.KindUser, aAlice.ID)
		wantErr(t, "tx read of a's user", err, directory.ErrNotFound)
		next := *aAlice
		next.Version = 2
		wantErr(t, "tx update of a's user", tx.Update(&next, 1), directory.ErrNotFound)
		wantErr(t, "tx delete of a's user", tx.Delete(directory.KindUser, aAlice.ID),
			directory.ErrNotFound)
		_, err = tx.AddMembers(aEng.ID, []directory.Member{userRef(bAlice)})
		wantErr(t, "tx add to a's group", err, directory.ErrNotFound)
		removed, err := tx.RemoveMembers(aEng.ID, []string{aAlice.ID})
		if err == nil && len(removed) != 0 {
			t.Errorf("tx on b removed %v from a's group", removed)
		}
		ids, err := tx.MemberIDs(aEng.ID)
		if err == nil && len(ids) != 0 {
			t.Errorf("tx on b read member ids of a's group: %v", ids)
		}
		missing, err := tx.Missing(directory.KindUser, []string{aAlice.ID, bAlice.ID})
		if err == nil && !equal(missing, []string{aAlice.ID}) {
			t.Errorf("tx on b: Missing gave %v, want a's user only", missing)
		}
		return err
	})
	wantErr(t, "write on b", err, nil)

	// a is intact.
	checkResource(t, mustGet(t, s, a.account, aAlice), aAlice)
	checkMembers(t, s, a.account, aEng.ID, aAlice.ID, a.byLabel["dave"].ID)
	checkMembers(t, s, b.account, bEng.ID, bAlice.ID, b.byLabel["dave"].ID)
}
