// Package storetest is the contract test suite of directory.Store: every
// implementation runs it, and passes it, on every engine it supports.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
)

// Run runs the contract tests. open must return an empty store for one
// test; it is called once per subtest, which may run in parallel with
// others.
func Run(t *testing.T, open func(t *testing.T) directory.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s directory.Store)
	}{
		{"accounts", testAccounts},
		{"delete-account-cascades", testDeleteAccount},
		{"tokens", testTokens},
		{"insert-and-read", testInsert},
		{"insert-conflicts", testInsertConflicts},
		{"update", testUpdate},
		{"rollback", testRollback},
		{"delete", testDelete},
		{"members", testMembers},
		{"members-paging", testMembersPaging},
		{"missing", testMissing},
		{"groups-of", testGroupsOf},
		{"filter-users", testFilterUsers},
		{"filter-groups", testFilterGroups},
		{"filter-errors", testFilterErrors},
		{"filter-agrees-with-match", testFilterAgrees},
		{"sort", testSort},
		{"paging", testPaging},
		{"isolation", testIsolation},
		{"endpoints-for", testEndpointsFor},
		{"events", testEvents},
		{"concurrent-writers", testConcurrentWriters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// base is the creation time of fixtures; each gets its own offset from it.
var base = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

// newAccount creates an account named name.
func newAccount(t *testing.T, s directory.Store, name string) *directory.Account {
	t.Helper()
	a := &directory.Account{ID: uuid.NewString(), Name: name, CreatedAt: base}
	if err := s.CreateAccount(ctx(t), a); err != nil {
		t.Fatalf("create account %q: %v", name, err)
	}
	return a
}

// user returns a new user resource with its lookup fields derived from doc,
// as the directory service derives them.
func user(doc map[string]any, created time.Time) *directory.Resource {
	r := &directory.Resource{
		Kind: directory.KindUser, ID: uuid.NewString(), Version: 1,
		Created: created, Modified: created, Doc: doc,
	}
	derive(r)
	return r
}

// group returns a new group resource named name.
func group(name string, created time.Time, extra map[string]any) *directory.Resource {
	doc := map[string]any{"displayName": name}
	for k, v := range extra {
		doc[k] = v
	}
	r := &directory.Resource{
		Kind: directory.KindGroup, ID: uuid.NewString(), Version: 1,
		Created: created, Modified: created, Doc: doc,
	}
	derive(r)
	return r
}

// derive sets r's lookup fields from its document.
func derive(r *directory.Resource) {
	r.ExternalID, _ = r.Doc["externalId"].(string)
	r.DisplayName, _ = r.Doc["displayName"].(string)
	if r.Kind == directory.KindGroup {
		r.Active = true
		return
	}
	r.UserName, _ = r.Doc["userName"].(string)

	// The service stores "active" in every user's document, true unless the
	// client said otherwise.
	if _, ok := r.Doc["active"]; !ok {
		r.Doc["active"] = true
	}
	r.Active, _ = r.Doc["active"].(bool)
	r.Email = ""
	emails, _ := r.Doc["emails"].([]any)
	for i, e := range emails {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if p, _ := m["primary"].(bool); p || i == 0 {
			r.Email = v
			if p {
				break
			}
		}
	}
}

// insert stores resources in one write.
func insert(t *testing.T, s directory.Store, accountID string, rs ...*directory.Resource) {
	t.Helper()
	err := s.Write(ctx(t), accountID, func(tx directory.Tx) error {
		for _, r := range rs {
			if err := tx.Insert(r); err != nil {
				return fmt.Errorf("insert %s %q: %w", r.Kind, r.UserName+r.DisplayName, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// addMembers adds members to a group in one write and returns those added.
func addMembers(t *testing.T, s directory.Store, accountID, groupID string,
	ms ...directory.Member) []directory.Member {
	t.Helper()
	var added []directory.Member
	err := s.Write(ctx(t), accountID, func(tx directory.Tx) error {
		var err error
		added, err = tx.AddMembers(groupID, ms)
		return err
	})
	if err != nil {
		t.Fatalf("add members to %s: %v", groupID, err)
	}
	return added
}

func userRef(r *directory.Resource) directory.Member {
	return directory.Member{ID: r.ID, Kind: directory.KindUser, Display: r.UserName}
}

func groupRef(r *directory.Resource) directory.Member {
	return directory.Member{ID: r.ID, Kind: directory.KindGroup, Display: r.DisplayName}
}

// wantErr fails t unless err is (or wraps) want; want nil asks for no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// sameDoc reports whether two documents hold the same JSON.
func sameDoc(a, b map[string]any) bool {
	return canonical(a) == canonical(b)
}

func canonical(doc map[string]any) string {
	b, err := json.Marshal(doc)
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "undecodable: " + err.Error()
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// checkResource compares a stored resource with what was written.
func checkResource(t *testing.T, got, want *directory.Resource) {
	t.Helper()
	switch {
	case got.ID != want.ID, got.Kind != want.Kind, got.AccountID != want.AccountID:
		t.Errorf("identity: got %s %s in %s, want %s %s in %s",
			got.Kind, got.ID, got.AccountID, want.Kind, want.ID, want.AccountID)
	case got.UserName != want.UserName, got.DisplayName != want.DisplayName,
		got.ExternalID != want.ExternalID, got.Email != want.Email, got.Active != want.Active:
		t.Errorf("lookup fields: got %q %q %q %q %v, want %q %q %q %q %v",
			got.UserName, got.DisplayName, got.ExternalID, got.Email, got.Active,
			want.UserName, want.DisplayName, want.ExternalID, want.Email, want.Active)
	case got.Version != want.Version:
		t.Errorf("version: got %d, want %d", got.Version, want.Version)
	case !got.Created.Equal(want.Created.Truncate(time.Microsecond)),
		!got.Modified.Equal(want.Modified.Truncate(time.Microsecond)):
		t.Errorf("times: got %v %v, want %v %v", got.Created, got.Modified,
			want.Created, want.Modified)
	case !sameDoc(got.Doc, want.Doc):
		t.Errorf("doc:\n got %s\nwant %s", canonical(got.Doc), canonical(want.Doc))
	}
}

// ids returns the ids of rs, in order.
func ids(rs []*directory.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// memberIDs returns the ids of ms, sorted.
func memberIDs(ms []directory.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

func sorted(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

func equal(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// scimError fails t unless err is a *scim.Error with the given status and
// scimType.
func scimError(t *testing.T, what string, err error, status int, typ scim.ErrorType) {
	t.Helper()
	e, ok := scim.AsError(err)
	if !ok {
		t.Errorf("%s: got %v, want a SCIM %d %s error", what, err, status, typ)
		return
	}
	if e.Status != status || e.Type != typ || e.Detail == "" {
		t.Errorf("%s: got %d %q %q, want %d %q with a detail", what, e.Status, e.Type,
			e.Detail, status, typ)
	}
}
