package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
)

func testPaging(t *testing.T, s directory.Store) {
	a := newAccount(t, s, "a")

	// Equal creation times leave the order to the id tiebreak, which must
	// hold from page to page.
	var all []*directory.Resource
	for i := range 25 {
		all = append(all, user(map[string]any{"userName": fmt.Sprintf("user%02d", i),
			"title": []string{"odd", "even"}[i%2]}, base))
	}
	insert(t, s, a.ID, all...)

	byTitle := &filter.AttrPath{Name: "title"}
	for _, tc := range []struct {
		name   string
		filter string
		sortBy *filter.AttrPath
		size   int
		want   int
	}{
		{"all-by-creation", "", nil, 7, 25},
		{"filtered", `title eq "even"`, nil, 4, 12},
		{"sorted", "", byTitle, 6, 25},
		{"one-per-page", `userName sw "user1"`, byTitle, 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var expr filter.Expr
			if tc.filter != "" {
				expr = parse(t, directory.KindUser, tc.filter)
			}
			seen := map[string]int{}
			for start := 1; start <= tc.want+tc.size; start += tc.size {
				q := directory.Query{Filter: expr, SortBy: tc.sortBy, StartIndex: start,
					Count: tc.size}
				page, err := s.List(ctx(t), a.ID, directory.KindUser, q)
				wantErr(t, "list page", err, nil)
				if page.Total != tc.want {
					t.Fatalf("page at %d: total %d, want %d", start, page.Total, tc.want)
				}
				if want := min(tc.size, max(tc.want-start+1, 0)); len(page.Resources) != want {
					t.Fatalf("page at %d: %d resources, want %d", start,
						len(page.Resources), want)
				}
				for _, r := range page.Resources {
					seen[r.ID]++
				}
			}
			if len(seen) != tc.want {
				t.Errorf("paging saw %d distinct users, want %d", len(seen), tc.want)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("user %s appeared on %d pages", id, n)
				}
			}
		})
	}

	// count=0 asks only for the total; a start past the end gives an
	// empty page with the total.
	for _, q := range []directory.Query{
		{StartIndex: 1, Count: 0},
		{StartIndex: 26, Count: 10},
		{StartIndex: 0, Count: 0, Filter: parse(t, directory.KindUser, `title eq "odd"`)},
	} {
		page, err := s.List(ctx(t), a.ID, directory.KindUser, q)
		wantErr(t, "list totals", err, nil)
		want := 25
		if q.Filter != nil {
			want = 13
		}
		if page.Total != want || len(page.Resources) != 0 {
			t.Errorf("query %+v: total %d with %d resources, want %d with none",
				q, page.Total, len(page.Resources), want)
		}
	}

	// StartIndex below 1 counts as 1.
	page, err := s.List(ctx(t), a.ID, directory.KindUser,
		directory.Query{StartIndex: 0, Count: 3})
	wantErr(t, "list from 0", err, nil)
	first, err := s.List(ctx(t), a.ID, directory.KindUser,
		directory.Query{StartIndex: 1, Count: 3})
	wantErr(t, "list from 1", err, nil)
	if !slices.Equal(ids(page.Resources), ids(first.Resources)) {
		t.Error("startIndex 0 and 1 give different pages")
	}
}
