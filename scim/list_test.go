package scim

import (
	"math"
	"reflect"
	"strconv"
	"testing"
)

func TestListResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		list ListResponse
		want string
	}{
		{"empty", ListResponse{},
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],` +
				`"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`},
		{"empty-slice", ListResponse{TotalResults: 42, StartIndex: 41, Resources: []any{}},
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],` +
				`"totalResults":42,"startIndex":41,"itemsPerPage":0,"Resources":[]}`},
		{"page", ListResponse{TotalResults: 3, StartIndex: 2, Resources: []any{
			map[string]any{"id": "a", "userName": "x<y>&z"}, map[string]any{"id": "b"}}},
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],` +
				`"totalResults":3,"startIndex":2,"itemsPerPage":2,` +
				`"Resources":[{"id":"a","userName":"x<y>&z"},{"id":"b"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.list.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	lim := PageLimits{Default: 50, Max: 200}
	tests := []struct {
		start, count string // "" when not given
		want         Page
	}{
		{"", "", Page{1, 50}},
		{"1", "10", Page{1, 10}},
		{"0", "", Page{1, 50}},
		{"-5", "", Page{1, 50}},
		{"101", "100", Page{101, 100}},
		{"", "0", Page{1, 0}},
		{"", "-1", Page{1, 0}},
		{"", "200", Page{1, 200}},
		{"", "201", Page{1, 200}},
		{" 7 ", " 8 ", Page{7, 8}},
		{"", "99999999999999999999999", Page{1, 200}},
		{"", "-99999999999999999999999", Page{1, 0}},
		{"99999999999999999999999", "", Page{math.MaxInt, 50}},
	}
	for _, tt := range tests {
		got, err := ParsePaging(tt.start, tt.count, lim)
		if err != nil {
			t.Errorf("ParsePaging(%q, %q): %v", tt.start, tt.count, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePaging(%q, %q) = %+v, want %+v", tt.start, tt.count, got, tt.want)
		}
	}
}

func TestPagingBadNumbers(t *testing.T) {
	tests := []struct{ start, count, param string }{
		{"abc", "", "startIndex"},
		{"1.5", "", "startIndex"},
		{"", "ten", "count"},
		{"", "1e2", "count"},
	}
	for _, tt := range tests {
		_, err := ParsePaging(tt.start, tt.count, DefaultPageLimits)
		checkError(t, err, 400, ErrInvalidValue, tt.param+" must be an integer")
	}
}

func TestPagingLimits(t *testing.T) {
	ten := 10
	tests := []struct {
		lim  PageLimits
		want Page
	}{
		{PageLimits{}, Page{1, DefaultPageLimits.Default}},
		{PageLimits{Default: 500, Max: 20}, Page{1, 20}},
		{PageLimits{Max: 5}, Page{1, 5}},
	}
	for _, tt := range tests {
		if got := Paging(nil, nil, tt.lim); got != tt.want {
			t.Errorf("Paging(nil, nil, %+v) = %+v, want %+v", tt.lim, got, tt.want)
		}
	}
	if got := Paging(&ten, &ten, PageLimits{Max: 5}); got != (Page{10, 5}) || got.Offset() != 9 {
		t.Errorf("Paging(10, 10, max 5) = %+v offset %d, want {10 5} offset 9", got, got.Offset())
	}
}

func intp(n int) *int { return &n }

func TestParseSearchRequest(t *testing.T) {
	const schemas = `"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`
	tests := []struct {
		name   string
		in     string
		want   *SearchRequest // nil when an error is expected
		detail string
	}{
		{"full", `{` + schemas + `,"attributes":["displayName","userName"],` +
			`"excludedAttributes":["emails"],"filter":"userName sw \"b\"",` +
			`"sortBy":"userName","sortOrder":"descending","startIndex":1,"count":10}`,
			&SearchRequest{Attributes: []string{"displayName", "userName"},
				ExcludedAttributes: []string{"emails"}, Filter: `userName sw "b"`,
				SortBy: "userName", SortOrder: "descending",
				StartIndex: intp(1), Count: intp(10)}, ""},
		{"empty", `{` + schemas + `}`, &SearchRequest{}, ""},
		{"numeric-strings", `{` + schemas + `,"startIndex":"3","count":"25"}`,
			&SearchRequest{StartIndex: intp(3), Count: intp(25)}, ""},
		{"any-case", `{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:SEARCHREQUEST"],` +
			`"FILTER":"active eq true","SortOrder":"ASCENDING","COUNT":5}`,
			&SearchRequest{Filter: "active eq true", SortOrder: "ascending", Count: intp(5)}, ""},
		{"attributes-as-string", `{` + schemas + `,"attributes":"userName, emails"}`,
			&SearchRequest{Attributes: []string{"userName", "emails"}}, ""},
		{"nulls-ignored", `{` + schemas + `,"filter":null,"count":null}`, &SearchRequest{}, ""},
		{"unknown-ignored", `{` + schemas + `,"fancy":1}`, &SearchRequest{}, ""},
		{"schemas-missing", `{"filter":"x"}`, nil, "must contain"},
		{"schemas-wrong", `{"schemas":["` + PatchOpSchema + `"]}`, nil, "must contain"},
		{"schemas-not-strings", `{"schemas":[1]}`, nil, "one element is a number"},
		{"count-decimal", `{` + schemas + `,"count":1.5}`, nil, "count must be an integer"},
		{"count-bool", `{` + schemas + `,"count":true}`, nil, `"count" must be an integer`},
		{"start-word", `{` + schemas + `,"startIndex":"first"}`, nil, "startIndex must be an integer"},
		{"filter-number", `{` + schemas + `,"filter":1}`, nil, `"filter" must be a string`},
		{"attributes-numbers", `{` + schemas + `,"attributes":[1]}`, nil, "one element is a number"},
		{"sort-order-bad", `{` + schemas + `,"sortOrder":"up"}`, nil, `sortOrder must be "ascending"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSearchRequest(parse(t, tt.in))
			if tt.want == nil {
				checkError(t, err, 400, ErrInvalidValue, tt.detail)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s, want %s", show(got), show(tt.want))
			}
		})
	}
}

func show(r *SearchRequest) string {
	n := func(p *int) string {
		if p == nil {
			return "nil"
		}
		return strconv.Itoa(*p)
	}
	return "{" + strconv.Quote(r.Filter) + " attrs=" + mustJSONAny(r.Attributes) +
		" excl=" + mustJSONAny(r.ExcludedAttributes) + " sort=" + r.SortBy + "/" + r.SortOrder +
		" start=" + n(r.StartIndex) + " count=" + n(r.Count) + "}"
}

func mustJSONAny(v any) string {
	b, _ := marshal(v)
	return string(b)
}
