package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// testEndpointsFor checks that an account's view of the webhook endpoints
// holds its own, with the global ones when asked, in creation order, and
// never another account's.
func testEndpointsFor(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")
	b := newAccount(t, s, "b")
	empty := newAccount(t, s, "empty")

	// Creation times interleave the accounts, so that an order by anything
	// but time, or a filter that lets one row too many through, shows.
	made := map[string]*directory.Endpoint{}
	for i, tc := range []struct{ name, account string }{
		{"a1", a.ID}, {"global1", ""}, {"b1", b.ID}, {"a2", a.ID},
		{"b2", b.ID}, {"global2", ""}, {"a3", a.ID},
	} {
		e := &directory.Endpoint{ID: uuid.NewString(), AccountID: tc.account,
			URL: "https://vendor.example/" + tc.name, Secret: "whsec_" + tc.name,
			EventTypes: []string{directory.EventUserCreated}, Enabled: true,
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		wantErr(t, "create endpoint "+tc.name, s.CreateEndpoint(ctx(t), e), nil)
		made[tc.name] = e
	}

	for _, tc := range []struct {
		name       string
		account    string
		withGlobal bool
		want       []string
	}{
		{"own", a.ID, false, []string{"a1", "a2", "a3"}},
		{"own-and-global", a.ID, true, []string{"a1", "global1", "a2", "global2", "a3"}},
		{"other-own", b.ID, false, []string{"b1", "b2"}},
		{"other-and-global", b.ID, true, []string{"global1", "b1", "b2", "global2"}},
		{"none-of-its-own", empty.ID, false, nil},
		{"global-only", empty.ID, true, []string{"global1", "global2"}},
		{"unknown-account", uuid.NewString(), true, []string{"global1", "global2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.EndpointsFor(ctx(t), tc.account, tc.withGlobal)
			wantErr(t, "list endpoints", err, nil)
			var names []string
			for _, e := range got {
				if e.AccountID != "" && e.AccountID != tc.account {
					t.Errorf("got endpoint %s of account %s", e.URL, e.AccountID)
				}
				names = append(names, e.URL[len("https://vendor.example/"):])
			}
			if !equal(names, tc.want) {
				t.Fatalf("got %v, want %v", names, tc.want)
			}
		})
	}

	// Rows come back whole, as Endpoint reads them.
	got, err := s.EndpointsFor(ctx(t), a.ID, false)
	wantErr(t, "list a's endpoints", err, nil)
	want := made["a1"]
	if e := got[0]; e.ID != want.ID || e.AccountID != a.ID || e.Secret != want.Secret ||
		!equal(e.EventTypes, want.EventTypes) || !e.Enabled || e.AllowPrivate ||
		e.FailingSince != nil || !e.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("EndpointsFor: got %+v, want %+v", e, want)
	}

	// Deleting an account takes its endpoints out of every view.
	wantErr(t, "delete account b", s.DeleteAccount(ctx(t), b.ID), nil)
	got, err = s.EndpointsFor(ctx(t), b.ID, false)
	wantErr(t, "list a deleted account's endpoints", err, nil)
	if len(got) != 0 {
		t.Errorf("a deleted account still has %d endpoints", len(got))
	}
}
