package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/scim/filter"
)

// Listing limits: rows per page, the longest search, the members shown per
// page of a group and the changes shown on a user's or group's page.
const (
	pageSize     = 50
	maxSearchLen = 200
	memberPage   = 100
	maxChanges   = 25
	maxPage      = 100000
)

// listParams are the query parameters of a users or groups page.
type listParams struct {
	Q      string
	Status string // "", "active" or "deactivated"
	Page   int
}

func readListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	p := listParams{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Page: 1}
	if utf8.RuneCountInString(p.Q) > maxSearchLen {
		return p, badRequest("Search for at most %d characters.", maxSearchLen)
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return p, badRequest("The page number must be between 1 and %d.", maxPage)
		}
		p.Page = n
	}
	switch p.Status {
	case "", "active", "deactivated":
	default:
		return p, badRequest("Filter by status active or deactivated, or by none.")
	}
	return p, nil
}

// query builds the store query: the search matches any of attrs by
// substring ("co"), case-insensitively as SCIM compares strings.
func (p listParams) query(attrs ...filter.AttrPath) directory.Query {
	var f filter.Expr
	if p.Q != "" {
		for _, a := range attrs {
			c := &filter.Compare{Attr: a, Op: filter.Co, Value: p.Q}
			if f == nil {
				f = c
			} else {
				f = &filter.Or{Left: f, Right: c}
			}
		}
	}
	if p.Status != "" {
		c := &filter.Compare{Attr: filter.AttrPath{Name: "active"}, Op: filter.Eq,
			Value: p.Status == "active"}
		if f == nil {
			f = c
		} else {
			f = &filter.And{Left: f, Right: c}
		}
	}
	return directory.Query{Filter: f, StartIndex: (p.Page-1)*pageSize + 1, Count: pageSize}
}

// link returns the listing's URL for another page.
func (p listParams) link(base string, page int) string {
	v := url.Values{}
	if p.Q != "" {
		v.Set("q", p.Q)
	}
	if p.Status != "" {
		v.Set("status", p.Status)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

type listData struct {
	Params     listParams
	Rows       []*directory.Resource
	Total      int
	First      int // 1-based index of the first row shown
	Prev, Next string
}

func (s *server) list(r *http.Request, a *directory.Account, kind directory.Kind,
	page string, attrs ...filter.AttrPath) (*listData, error) {
	p, err := readListParams(r)
	if err != nil {
		return nil, err
	}
	res, err := s.store.List(r.Context(), a.ID, kind, p.query(attrs...))
	if err != nil {
		return nil, fmt.Errorf("list %s resources of %q: %w", kind, a.ID, err)
	}
	d := &listData{Params: p, Rows: res.Resources, Total: res.Total,
		First: (p.Page-1)*pageSize + 1}
	base := accountPath(a.ID, page)
	if p.Page > 1 {
		d.Prev = p.link(base, p.Page-1)
	}
	if p.Page*pageSize < res.Total {
		d.Next = p.link(base, p.Page+1)
	}
	return d, nil
}

func (s *server) users(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	d, err := s.list(r, a, directory.KindUser, "users",
		filter.AttrPath{Name: "userName"},
		filter.AttrPath{Name: "emails", Sub: "value"},
		filter.AttrPath{Name: "displayName"})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "users", &view{Title: "Users · " + a.Name, Account: a,
		Section: "users", Data: d})
	return nil
}

func (s *server) groups(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	d, err := s.list(r, a, directory.KindGroup, "groups", filter.AttrPath{Name: "displayName"})
	if err != nil {
		return err
	}
	d.Params.Status = "" // groups have no status
	s.render(w, r, http.StatusOK, "groups", &view{Title: "Groups · " + a.Name, Account: a,
		Section: "groups", Data: d})
	return nil
}

// attr is one stored attribute as a resource's page lists it.
type attr struct{ Name, Value string }

// flatten lists doc's attributes with dotted names, multi-valued ones
// numbered from 1, in name order.
func flatten(doc map[string]any) []attr {
	var out []attr
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", prefix, i+1), x)
			}
		case string:
			out = append(out, attr{prefix, v})
		default:
			b, _ := json.Marshal(v)
			out = append(out, attr{prefix, string(b)})
		}
	}
	walk("", doc)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

type resourceData struct {
	R       *directory.Resource
	Attrs   []attr
	Groups  []directory.GroupRef
	Members []directory.Member
	After   string // the next members page's cursor; "" on the last page
	Changes []*directory.Event
}

func (s *server) user(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("uid")
	u, err := s.store.Resource(ctx, a.ID, directory.KindUser, id)
	if err != nil {
		return fmt.Errorf("read user %q: %w", id, err)
	}
	groups, err := s.store.GroupsOf(ctx, a.ID, []string{id})
	if err != nil {
		return fmt.Errorf("read groups of user %q: %w", id, err)
	}
	changes, err := s.cs.ResourceEvents(ctx, a.ID, directory.KindUser, id, maxChanges)
	if err != nil {
		return fmt.Errorf("read changes of user %q: %w", id, err)
	}
	title := u.UserName
	s.render(w, r, http.StatusOK, "user", &view{Title: title + " · " + a.Name, Account: a,
		Section: "users", Data: resourceData{R: u, Attrs: flatten(u.Doc),
			Groups: groups[id], Changes: changes}})
	return nil
}

// group shows a group with one page of its members. Members are paged by
// member id (keyset), so a page of a 100,000-member group costs no more
// than one of a small group.
func (s *server) group(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("gid")
	g, err := s.store.Resource(ctx, a.ID, directory.KindGroup, id)
	if err != nil {
		return fmt.Errorf("read group %q: %w", id, err)
	}
	after := r.URL.Query().Get("after")
	if len(after) > 200 {
		return badRequest("The members cursor is too long; start again from the first page.")
	}
	members, err := s.store.Members(ctx, a.ID, id, after, memberPage+1)
	if err != nil {
		return fmt.Errorf("read members of group %q: %w", id, err)
	}
	d := resourceData{R: g, Attrs: flatten(g.Doc)}
	if len(members) > memberPage {
		members = members[:memberPage]
		d.After = members[len(members)-1].ID
	}
	d.Members = members
	d.Changes, err = s.cs.ResourceEvents(ctx, a.ID, directory.KindGroup, id, maxChanges)
	if err != nil {
		return fmt.Errorf("read changes of group %q: %w", id, err)
	}
	s.render(w, r, http.StatusOK, "group", &view{Title: g.DisplayName + " · " + a.Name,
		Account: a, Section: "groups", Data: d})
	return nil
}
