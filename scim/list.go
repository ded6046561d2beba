package scim

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// ListResponse is one page of a query's results (RFC 7644 §3.4.2). It
// marshals with "Resources" always an array, empty when nothing matched,
// and "itemsPerPage" the number of resources on the page.
type ListResponse struct {
	TotalResults int   // results over all pages
	StartIndex   int   // 1-based index of the first resource; below 1 means 1
	Resources    []any // the page, each already projected
}

// MarshalJSON renders the list in the ListResponse message schema.
func (l ListResponse) MarshalJSON() ([]byte, error) {
	resources := l.Resources
	if resources == nil {
		resources = []any{}
	}
	body := struct {
		Schemas      []string `json:"schemas"`
		TotalResults int      `json:"totalResults"`
		StartIndex   int      `json:"startIndex"`
		ItemsPerPage int      `json:"itemsPerPage"`
		Resources    []any    `json:"Resources"`
	}{
		Schemas:      []string{ListResponseSchema},
		TotalResults: l.TotalResults,
		StartIndex:   max(l.StartIndex, 1),
		ItemsPerPage: len(resources),
		Resources:    resources,
	}
	return marshal(body)
}

// Page is a window into a result set: the 1-based index of its first result
// and the most results it holds, which may be 0 (RFC 7644 §3.4.2.4: the
// client asks for the total count only).
type Page struct {
	StartIndex int
	Count      int
}

// Offset returns the number of results before the page, for SQL OFFSET.
func (p Page) Offset() int { return p.StartIndex - 1 }

// PageLimits are the page sizes a server applies.
type PageLimits struct {
	Default int // count when the client gives none
	Max     int // largest count; a larger one is lowered to it
}

// DefaultPageLimits are the page sizes used unless configured otherwise.
// Okta asks for 100 resources a page and Microsoft Entra ID for fewer.
var DefaultPageLimits = PageLimits{Default: 100, Max: 1000}

// Paging applies RFC 7644 §3.4.2.4 to the startIndex and count a client
// gave, nil when it gave none: a startIndex below 1 means 1, a negative
// count means 0, a missing count means lim.Default and a count above
// lim.Max means lim.Max. It never fails. Zero fields of lim take their
// values from DefaultPageLimits, and a Default above Max is lowered to it.
func Paging(startIndex, count *int, lim PageLimits) Page {
	if lim.Max <= 0 {
		lim.Max = DefaultPageLimits.Max
	}
	if lim.Default <= 0 {
		lim.Default = DefaultPageLimits.Default
	}
	lim.Default = min(lim.Default, lim.Max)

	p := Page{StartIndex: 1, Count: lim.Default}
	if startIndex != nil {
		p.StartIndex = max(*startIndex, 1)
	}
	if count != nil {
		p.Count = min(max(*count, 0), lim.Max)
	}
	return p
}

// ParsePaging is Paging for the startIndex and count query parameters; an
// empty string means the parameter was not given. A value that is not a
// decimal integer is a 400 invalidValue error naming the parameter; an
// integer too large for an int is taken as the largest int (then clamped
// like any other).
func ParsePaging(startIndex, count string, lim PageLimits) (Page, error) {
	si, err := parseIndex("startIndex", startIndex)
	if err != nil {
		return Page{}, err
	}
	c, err := parseIndex("count", count)
	if err != nil {
		return Page{}, err
	}
	return Paging(si, c, lim), nil
}

func parseIndex(name, s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, BadRequest(ErrInvalidValue, "%s must be an integer; got %q", name, Clip(s))
	}
	// On ErrRange, Atoi returns the nearest int, which clamping handles.
	return &n, nil
}

// SearchRequest is the body of a POST to a .search endpoint (RFC 7644
// §3.4.3). StartIndex and Count are nil when the client gave none; pass
// them to Paging.
type SearchRequest struct {
	Attributes         []string
	ExcludedAttributes []string
	Filter             string // "" when none
	SortBy             string // "" when none
	SortOrder          string // "ascending", "descending" or "" when none
	StartIndex         *int
	Count              *int
}

// ParseSearchRequest reads a SearchRequest from doc, a body returned by
// Decode. Names match without regard to case and unknown members are
// ignored. attributes and excludedAttributes may be arrays of strings or
// comma-separated strings; startIndex and count may be JSON numbers or
// numeric strings; sortOrder is matched without regard to case.
//
// Errors are 400 invalidValue: "schemas" missing or without
// SearchRequestSchema, or a member of the wrong type or value.
func ParseSearchRequest(doc map[string]any) (*SearchRequest, error) {
	req := &SearchRequest{}
	sawSchema := false
	for key, v := range doc {
		if v == nil {
			continue
		}
		var err error
		switch strings.ToLower(key) {
		case "schemas":
			sawSchema, err = listsSchema(v, SearchRequestSchema)
		case "attributes":
			req.Attributes, err = stringList(key, v)
		case "excludedattributes":
			req.ExcludedAttributes, err = stringList(key, v)
		case "filter":
			req.Filter, err = stringMember(key, v)
		case "sortby":
			req.SortBy, err = stringMember(key, v)
		case "sortorder":
			req.SortOrder, err = sortOrder(v)
		case "startindex":
			req.StartIndex, err = intMember("startIndex", v)
		case "count":
			req.Count, err = intMember("count", v)
		}
		if err != nil {
			return nil, err
		}
	}
	if !sawSchema {
		return nil, BadRequest(ErrInvalidValue,
			`attribute "schemas" must contain %q`, SearchRequestSchema)
	}
	return req, nil
}

// listsSchema reports whether v, a "schemas" value, contains urn.
func listsSchema(v any, urn string) (bool, error) {
	list, err := stringList("schemas", v)
	for _, s := range list {
		if strings.EqualFold(s, urn) {
			return true, err
		}
	}
	return false, err
}

func stringList(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return ParseAttrList(x), nil
	case []any:
		out := make([]string, 0, len(x))
		for _, el := range x {
			s, ok := el.(string)
			if !ok {
				return nil, BadRequest(ErrInvalidValue,
					"attribute %q must be an array of strings; one element is %s",
					name, KindOf(el))
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	}
	return nil, typeError(name, "an array of strings", v)
}

func stringMember(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", typeError(name, "a string", v)
	}
	return s, nil
}

func sortOrder(v any) (string, error) {
	s, err := stringMember("sortOrder", v)
	switch {
	case err != nil:
		return "", err
	case strings.EqualFold(s, "ascending"):
		return "ascending", nil
	case strings.EqualFold(s, "descending"):
		return "descending", nil
	case s == "":
		return "", nil
	}
	return "", BadRequest(ErrInvalidValue,
		`sortOrder must be "ascending" or "descending"; got %q`, Clip(s))
}

func intMember(name string, v any) (*int, error) {
	switch x := v.(type) {
	case json.Number:
		return parseIndex(name, x.String())
	case string:
		return parseIndex(name, x)
	case float64, int, int64:
		num, _ := number(x)
		return parseIndex(name, num.String())
	}
	return nil, typeError(name, "an integer", v)
}
