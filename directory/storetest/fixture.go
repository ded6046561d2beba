package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
)

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// fixture is a fixed set of users and groups in one account, named by
// label, for the filter, sort and paging tests.
type fixture struct {
	account string
	byLabel map[string]*directory.Resource
	labels  map[string]string // id to label
	ids     *strings.Replacer // {label} to id, for filters
}

// newFixture stores alice, bob, carol, dave and eve, created an hour apart
// from 10:00 and each modified half an hour after creation, and the groups
// engineering (alice, dave), sales (bob), empty, and all (engineering,
// carol).
func newFixture(t *testing.T, s directory.Store, name string) *fixture {
	a := newAccount(t, s, name)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	mail := func(value, typ string, primary ...bool) map[string]any {
		m := map[string]any{"value": value, "type": typ}
		if len(primary) > 0 {
			m["primary"] = primary[0]
		}
		return m
	}

	bob := user(map[string]any{
		"userName": "bob", "externalId": "ext-2", "displayName": "Bob Builder",
		"name": map[string]any{"givenName": "Bob"}, "title": "Manager",
		"active": false, "nickName": "",
		"emails":   []any{mail("bob@example.com", "work")},
		enterprise: map[string]any{"employeeNumber": "1002", "department": "Sales"},
	}, at(2))
	alice := user(map[string]any{
		"userName": "Alice@Example.com", "externalId": "ext-1", "displayName": "Alice Liddell",
		"name":  map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"title": "Engineer", "active": true,
		"emails": []any{mail("alice@example.com", "work", true),
			mail("Alice.Home@Example.org", "home")},
		"addresses": []any{map[string]any{"locality": "Paris", "type": "work"}},
		enterprise: map[string]any{"employeeNumber": "1001", "department": "R&D",
			"manager": map[string]any{"value": bob.ID}},
	}, at(1))
	carol := user(map[string]any{
		"userName": "carol", "displayName": "Carol", "title": `100%_off\deal`, "active": true,
		"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "mobile"}},
	}, at(3))
	dave := user(map[string]any{
		"userName": "Dave", "externalId": "EXT-1", "title": nil,
		"emails": []any{mail("dave@example.com", "work"),
			mail("shared@example.com", "other", true)},
		enterprise: map[string]any{"department": "r&d"},
	}, at(4))
	eve := user(map[string]any{
		"userName": "eve", "nickName": "Evie",
		"emails": []any{mail("eve@example.com", "work", false)},
	}, at(5))

	engineering := group("Engineering", at(1), map[string]any{"externalId": "g-ext-1"})
	sales := group("Sales", at(2), nil)
	empty := group("Empty", at(3), nil)
	all := group("All", at(4), nil)

	f := &fixture{account: a.ID, byLabel: map[string]*directory.Resource{
		"alice": alice, "bob": bob, "carol": carol, "dave": dave, "eve": eve,
		"engineering": engineering, "sales": sales, "empty": empty, "all": all,
	}, labels: map[string]string{}}
	var pairs []string
	for label, r := range f.byLabel {
		r.Modified = r.Created.Add(30 * time.Minute)
		f.labels[r.ID] = label
		pairs = append(pairs, "{"+label+"}", r.ID)
	}
	// Filters may name the enterprise extension {ent}.
	pairs = append(pairs, "{ent}", enterprise+":")
	f.ids = strings.NewReplacer(pairs...)

	insert(t, s, a.ID, alice, bob, carol, dave, eve, engineering, sales, empty, all)
	addMembers(t, s, a.ID, engineering.ID, userRef(alice), userRef(dave))
	addMembers(t, s, a.ID, sales.ID, userRef(bob))
	addMembers(t, s, a.ID, all.ID, groupRef(engineering), userRef(carol))
	return f
}

// names returns the labels of rs, in order.
func (f *fixture) names(rs []*directory.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = f.labels[r.ID]
		if out[i] == "" {
			out[i] = "foreign:" + r.ID
		}
	}
	return out
}

// parse parses and resolves a filter for kind.
func parse(t *testing.T, kind directory.Kind, s string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(s, filter.Limits{})
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	e, err = filter.Resolve(e, directory.ResourceType(kind))
	if err != nil {
		t.Fatalf("resolve %s: %v", s, err)
	}
	return e
}

// list returns every resource of kind that the filter selects, in the
// default order.
func list(t *testing.T, s directory.Store, accountID string, kind directory.Kind,
	f string) []*directory.Resource {
	t.Helper()
	q := directory.Query{StartIndex: 1, Count: 1000}
	if f != "" {
		q.Filter = parse(t, kind, f)
	}
	page, err := s.List(ctx(t), accountID, kind, q)
	if err != nil {
		t.Fatalf("list %s where %s: %v", kind, f, err)
	}
	if page.Total != len(page.Resources) {
		t.Errorf("list %s where %s: total %d, but %d resources", kind, f, page.Total,
			len(page.Resources))
	}
	return page.Resources
}

// filterCase is a filter and the labels it selects, in any order.
type filterCase struct {
	filter string
	want   string // space-separated labels
}

func (f *fixture) check(t *testing.T, s directory.Store, kind directory.Kind,
	cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		expr := f.ids.Replace(tc.filter)
		got := f.names(list(t, s, f.account, kind, expr))
		slices.Sort(got)
		want := strings.Fields(tc.want)
		slices.Sort(want)
		if !equal(got, want) {
			t.Errorf("%s: got [%s], want [%s]", tc.filter, strings.Join(got, " "),
				strings.Join(want, " "))
		}
	}
}

// sortCase is a sortBy and the labels in the order it gives.
type sortCase struct {
	by   string
	desc bool
	want string
}

func (f *fixture) checkSort(t *testing.T, s directory.Store, kind directory.Kind,
	cases []sortCase) {
	t.Helper()
	for _, tc := range cases {
		path, err := filter.ParsePath(tc.by)
		if err != nil {
			t.Fatalf("parse %s: %v", tc.by, err)
		}
		path, err = filter.ResolvePath(path, directory.ResourceType(kind))
		if err != nil {
			t.Fatalf("resolve %s: %v", tc.by, err)
		}
		q := directory.Query{SortBy: &path.Attr, Descending: tc.desc, StartIndex: 1, Count: 100}
		page, err := s.List(ctx(t), f.account, kind, q)
		if err != nil {
			t.Errorf("sort by %s: %v", tc.by, err)
			continue
		}
		if got := strings.Join(f.names(page.Resources), " "); got != tc.want {
			t.Errorf("sort by %s (descending %v): got [%s], want [%s]", tc.by, tc.desc,
				got, tc.want)
		}
	}
}
