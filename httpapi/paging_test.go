package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// Paging (RFC 7644 §3.4.2.4) returns every resource exactly once, counts
// are integers, Resources is always an array, and count is clamped to the
// advertised maximum.
func TestPaging(t *testing.T) {
	lim := httpapi.Limits{MaxPageSize: 10, DefaultPageSize: 4}
	eachStoreWith(t, lim, func(t *testing.T, s *stack) {
		c := s.client
		const total = 25
		var created []string
		for i := range total {
			// Created out of name order, so that sorting has work to do.
			name := fmt.Sprintf("user%02d@example.com", (i*7)%total)
			created = append(created, c.post("/Users", newUser(name)).want(t, 201).str("/id"))
		}

		t.Run("pages-of-7", func(t *testing.T) {
			for _, list := range []func(start int) *response{
				func(start int) *response {
					return c.get(fmt.Sprintf("/Users?startIndex=%d&count=7", start))
				},
				func(start int) *response {
					return c.post("/Users/.search", map[string]any{
						"schemas": []string{scim.SearchRequestSchema}, "startIndex": start, "count": 7})
				},
			} {
				var seen []string
				for start := 1; start <= total; start += 7 {
					r := list(start).want(t, http.StatusOK)
					checkListShape(t, r, total, start, min(7, total-start+1))
					seen = append(seen, r.ids()...)
				}
				if !sameSet(seen, created) {
					t.Errorf("pages of 7 returned %d ids %v, want each of the %d users once",
						len(seen), seen, total)
				}
			}
		})

		t.Run("count-0-asks-for-the-total", func(t *testing.T) {
			r := c.get("/Users?count=0").want(t, http.StatusOK)
			checkListShape(t, r, total, 1, 0)
			if !strings.Contains(string(r.body), `"Resources":[]`) {
				t.Errorf("count=0: Resources is not an empty array: %s", r.body)
			}
		})

		t.Run("count-clamped-to-max", func(t *testing.T) {
			checkListShape(t, c.get("/Users?count=500").want(t, 200), total, 1, lim.MaxPageSize)
			checkListShape(t, c.get("/Users?count=99999999999999999999").want(t, 200), total, 1,
				lim.MaxPageSize)
			checkListShape(t, c.get("/Users").want(t, 200), total, 1, lim.DefaultPageSize)
			checkListShape(t, c.get("/Users?count=-3").want(t, 200), total, 1, 0)
		})

		t.Run("startIndex-edges", func(t *testing.T) {
			checkListShape(t, c.get("/Users?startIndex=0&count=3").want(t, 200), total, 1, 3)
			checkListShape(t, c.get("/Users?startIndex=-5&count=3").want(t, 200), total, 1, 3)
			checkListShape(t, c.get("/Users?startIndex=25&count=3").want(t, 200), total, 25, 1)
			r := c.get("/Users?startIndex=26&count=3").want(t, 200)
			checkListShape(t, r, total, 26, 0)
		})

		t.Run("empty-result", func(t *testing.T) {
			r := c.get(query("/Users", "filter", `userName eq "nobody"`)).want(t, 200)
			checkListShape(t, r, 0, 1, 0)
			if !strings.Contains(string(r.body), `"Resources":[]`) {
				t.Errorf("no match: Resources is not an empty array: %s", r.body)
			}
		})

		t.Run("sort", func(t *testing.T) {
			var want []string
			for i := range total {
				want = append(want, fmt.Sprintf("user%02d@example.com", i))
			}
			for _, tc := range []struct {
				query string
				desc  bool
			}{
				{"sortBy=userName", false},
				{"sortBy=userName&sortOrder=ascending", false},
				{"sortBy=userName&sortOrder=descending", true},
				{"sortBy=USERNAME&sortOrder=Descending", true},
				{"sortBy=emails.value&sortOrder=descending", true},
			} {
				var got []string
				for start := 1; start <= total; start += 7 {
					r := c.get(fmt.Sprintf("/Users?%s&startIndex=%d&count=7", tc.query, start))
					r.want(t, http.StatusOK)
					names, _ := lookup(r.doc, "/Resources/*/userName")
					for _, n := range names.([]any) {
						got = append(got, n.(string))
					}
				}
				exp := slices.Clone(want)
				if tc.desc {
					slices.Reverse(exp)
				}
				if !slices.Equal(got, exp) {
					t.Errorf("%s: got %v, want %v", tc.query, got, exp)
				}
			}
		})
	})
}

// checkListShape checks a ListResponse: its schema, that the numbers are
// JSON integers with the expected values and that Resources is an array of
// itemsPerPage resources.
func checkListShape(t *testing.T, r *response, total, start, items int) {
	t.Helper()
	if got := r.doc["schemas"]; !sameJSON(got, []any{scim.ListResponseSchema}, false) {
		t.Errorf("%s: schemas %v", r.path, got)
	}
	if got := r.num(t, "/totalResults"); got != total {
		t.Errorf("%s: totalResults %d, want %d", r.path, got, total)
	}
	if got := r.num(t, "/startIndex"); got != start {
		t.Errorf("%s: startIndex %d, want %d", r.path, got, start)
	}
	if got := r.num(t, "/itemsPerPage"); got != items {
		t.Errorf("%s: itemsPerPage %d, want %d", r.path, got, items)
	}
	list, ok := r.doc["Resources"].([]any)
	if !ok || len(list) != items {
		t.Errorf("%s: Resources %v, want an array of %d", r.path, r.doc["Resources"], items)
	}
}

// sameSet reports whether got holds each element of want exactly once.
func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}
