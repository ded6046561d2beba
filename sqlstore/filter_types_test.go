package sqlstore_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// custom is an extension with the attribute types the standard schemas
// leave out of the document: numbers, dateTimes, booleans, a multi-valued
// string and a caseExact string.
const custom = "urn:example:params:scim:schemas:extension:test:2.0:User"

var customType = func() *scim.ResourceType {
	rt := *scim.UserResourceType
	attr := func(name string, typ scim.Type, multi, exact bool) *scim.Attribute {
		return &scim.Attribute{Name: name, Type: typ, MultiValued: multi, CaseExact: exact,
			Mutability: scim.ReadWrite, Returned: scim.ReturnedDefault,
			Uniqueness: scim.UniqueNone}
	}
	rt.Extensions = append(slices.Clone(rt.Extensions), scim.Extension{Schema: &scim.Schema{
		ID: custom, Name: "Test",
		Attributes: []*scim.Attribute{
			attr("level", scim.Integer, false, false),
			attr("score", scim.Decimal, false, false),
			attr("hired", scim.DateTime, false, false),
			attr("remote", scim.Boolean, false, false),
			attr("tags", scim.String, true, false),
			attr("code", scim.String, false, true),
		},
	}})
	return &rt
}()

// TestTypedAttributes runs filters and sorts on numbers, dateTimes and
// booleans held in the JSON document, with values of the wrong type mixed
// in, on both engines.
func TestTypedAttributes(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		acct := &directory.Account{ID: uuid.NewString(), Name: "a", CreatedAt: time.Now()}
		if err := db.CreateAccount(t.Context(), acct); err != nil {
			t.Fatal(err)
		}
		people := map[string]map[string]any{
			"p1": {"level": json.Number("3"), "score": json.Number("2.5"),
				"hired": "2020-01-01T00:00:00Z", "remote": true, "tags": []any{"a", "B"},
				"code": "AbC"},
			"p2": {"level": json.Number("10"), "score": json.Number("10"),
				"hired": "2021-06-01T12:00:00+02:00", "remote": false, "tags": []any{},
				"code": "abc"},
			"p3": {"level": "7", "hired": "not a date", "tags": []any{"b"}},
			"p4": {},
		}
		labels := map[string]string{}
		err := db.Write(t.Context(), acct.ID, func(tx directory.Tx) error {
			for i, name := range []string{"p1", "p2", "p3", "p4"} {
				r := &directory.Resource{Kind: directory.KindUser, ID: uuid.NewString(),
					UserName: name, Active: true, Version: 1,
					Created:  time.Date(2024, 1, 1, i, 0, 0, 0, time.UTC),
					Modified: time.Date(2024, 1, 1, i, 0, 0, 0, time.UTC),
					Doc:      map[string]any{"userName": name, custom: people[name]}}
				labels[r.ID] = name
				if err := tx.Insert(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		names := func(rs []*directory.Resource) string {
			var out []string
			for _, r := range rs {
				out = append(out, labels[r.ID])
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct{ filter, want string }{
			{`level gt 5`, "p2"},
			{`level eq 3`, "p1"},
			{`level ge 3`, "p1 p2"},
			{`level pr`, "p1 p2 p3"},
			{`not (level gt 5)`, "p1 p3 p4"},
			{`score lt 3`, "p1"},
			{`score eq 10`, "p2"},
			{`score eq 10.0`, "p2"},
			{`score le 2.50`, "p1"},
			{`hired gt "2021-06-01T09:00:00Z"`, "p2"},
			{`hired eq "2021-06-01T10:00:00Z"`, "p2"},
			{`hired lt "2020-06-01T00:00:00.5+00:00"`, "p1"},
			{`hired sw "2020"`, "p1"},
			{`remote eq true`, "p1"},
			{`remote eq false`, "p2"},
			{`remote ne true`, "p2 p3 p4"},
			{`remote pr`, "p1 p2"},
			{`tags eq "b"`, "p1 p3"},
			{`tags pr`, "p1 p3"},
			{`tags ne "b"`, "p2 p4"},
			{`code eq "abc"`, "p2"},
			{`code co "bC"`, "p1"},
			{`code gt "ABC"`, "p1 p2"},
		} {
			e, err := filter.Parse(tc.filter, filter.Limits{})
			if err == nil {
				e, err = filter.Resolve(e, customType)
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.filter, err)
			}
			page, err := db.ListFor(t.Context(), acct.ID, directory.KindUser, customType,
				directory.Query{Filter: e, StartIndex: 1, Count: 10})
			if err != nil {
				t.Errorf("%s: %v", tc.filter, err)
				continue
			}
			if got := names(page.Resources); got != tc.want {
				t.Errorf("%s: got [%s], want [%s]", tc.filter, got, tc.want)
			}
		}

		for _, tc := range []struct {
			by   string
			desc bool
			want string
		}{
			{"level", false, "p1 p2 p3 p4"},
			{"level", true, "p3 p4 p2 p1"},
			{"score", true, "p3 p4 p2 p1"},
			{"hired", true, "p3 p4 p2 p1"},
			{"remote", false, "p2 p1 p3 p4"},
			{"tags", false, "p1 p3 p2 p4"},
		} {
			by := filter.AttrPath{URN: custom, Name: tc.by}
			page, err := db.ListFor(t.Context(), acct.ID, directory.KindUser, customType,
				directory.Query{SortBy: &by, Descending: tc.desc, StartIndex: 1, Count: 10})
			if err != nil {
				t.Errorf("sort by %s: %v", tc.by, err)
				continue
			}
			if got := names(page.Resources); got != tc.want {
				t.Errorf("sort by %s (descending %v): got [%s], want [%s]", tc.by, tc.desc,
					got, tc.want)
			}
		}
	})
}
