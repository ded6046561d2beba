package httpapi

import (
	"net/http"
	"strings"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/filter"
)

// projection is a request's attributes and excludedAttributes
// (RFC 7644 §3.4.2.5).
type projection struct {
	attributes []string
	excluded   []string
}

func projectionFromQuery(r *http.Request) projection {
	q := r.URL.Query()
	return projection{
		attributes: scim.ParseAttrList(q.Get("attributes")),
		excluded:   scim.ParseAttrList(q.Get("excludedAttributes")),
	}
}

// wants reports whether the response needs an attribute, so that a group's
// members are not read when the client excluded them, as Entra ID does.
func (p projection) wants(kind directory.Kind, name string) bool {
	if kind != directory.KindGroup {
		return true
	}
	named := func(list []string) bool {
		for _, a := range list {
			a = strings.TrimPrefix(strings.ToLower(a), strings.ToLower(scim.GroupSchema)+":")
			if a == strings.ToLower(name) || strings.HasPrefix(a, strings.ToLower(name)+".") {
				return true
			}
		}
		return false
	}
	if len(p.attributes) > 0 && !named(p.attributes) {
		return false
	}
	return !named(p.excluded)
}

// listRequest is a list query from the query string or a .search body.
type listRequest struct {
	filter     string
	sortBy     string
	sortOrder  string
	startIndex int
	count      int
	proj       projection
}

func (a *API) list(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		q := r.URL.Query()
		page, err := scim.ParsePaging(q.Get("startIndex"), q.Get("count"), a.pageLimits())
		if err != nil {
			return err
		}
		req := listRequest{
			filter:     q.Get("filter"),
			sortBy:     q.Get("sortBy"),
			sortOrder:  q.Get("sortOrder"),
			startIndex: page.StartIndex,
			count:      page.Count,
			proj:       projectionFromQuery(r),
		}
		return a.respondList(w, r, c, []directory.Kind{kind}, req)
	}
}

func (a *API) search(kind directory.Kind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		req, err := a.decodeSearch(r)
		if err != nil {
			return err
		}
		return a.respondList(w, r, c, []directory.Kind{kind}, req)
	}
}

// searchAll answers POST /.search at the root: users first, then groups.
func (a *API) searchAll(w http.ResponseWriter, r *http.Request, c *call) error {
	req, err := a.decodeSearch(r)
	if err != nil {
		return err
	}
	return a.respondList(w, r, c, []directory.Kind{directory.KindUser, directory.KindGroup}, req)
}

func (a *API) decodeSearch(r *http.Request) (listRequest, error) {
	body, err := scim.Decode(r.Body, a.limits.MaxBodyBytes)
	if err != nil {
		return listRequest{}, err
	}
	sr, err := scim.ParseSearchRequest(body)
	if err != nil {
		return listRequest{}, err
	}
	page := scim.Paging(sr.StartIndex, sr.Count, a.pageLimits())
	return listRequest{
		filter:     sr.Filter,
		sortBy:     sr.SortBy,
		sortOrder:  sr.SortOrder,
		startIndex: page.StartIndex,
		count:      page.Count,
		proj:       projection{attributes: sr.Attributes, excluded: sr.ExcludedAttributes},
	}, nil
}

// respondList runs a list request over one or more kinds and writes the
// ListResponse. Across kinds, the page continues from one kind into the
// next, so paging still returns every resource once.
func (a *API) respondList(w http.ResponseWriter, r *http.Request, c *call,
	kinds []directory.Kind, req listRequest) error {
	resp := scim.ListResponse{StartIndex: req.startIndex, Resources: []any{}}
	skip, want := req.startIndex-1, req.count
	for _, kind := range kinds {
		q, err := a.query(kind, req)
		if err != nil {
			return err
		}
		q.StartIndex, q.Count = skip+1, want
		res, err := a.svc.List(r.Context(), c.actor.AccountID, kind, q, req.proj.wants(kind, "members"))
		if err != nil {
			return err
		}
		resp.TotalResults += res.Total
		rt := directory.ResourceType(kind)
		for _, v := range res.Views {
			doc := scim.Project(rt, directory.Render(v, c.base), req.proj.attributes, req.proj.excluded)
			resp.Resources = append(resp.Resources, doc)
		}
		want -= len(res.Views)
		skip = max(0, skip-res.Total)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// query compiles a list request's filter and sort order for one kind.
func (a *API) query(kind directory.Kind, req listRequest) (directory.Query, error) {
	rt := directory.ResourceType(kind)
	var q directory.Query
	if strings.TrimSpace(req.filter) != "" {
		e, err := filter.Parse(req.filter, filter.Limits{
			MaxLength: a.limits.MaxFilterLength,
			MaxDepth:  a.limits.MaxFilterDepth,
		})
		if err != nil {
			return q, err
		}
		if q.Filter, err = filter.Resolve(e, rt); err != nil {
			return q, err
		}
	}
	if req.sortBy != "" {
		p, err := filter.ParsePath(req.sortBy)
		if err == nil {
			p, err = filter.ResolvePath(p, rt)
		}
		if err != nil || p.Filter != nil {
			return q, scim.BadRequest(scim.ErrInvalidValue,
				"sortBy %q is not an attribute of %s resources", req.sortBy, rt.Name)
		}
		q.SortBy = &p.Attr
	}
	switch strings.ToLower(req.sortOrder) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return q, scim.BadRequest(scim.ErrInvalidValue,
			`sortOrder %q is not "ascending" or "descending"`, req.sortOrder)
	}
	return q, nil
}

func (a *API) pageLimits() scim.PageLimits {
	return scim.PageLimits{Default: a.limits.DefaultPageSize, Max: a.limits.MaxPageSize}
}
